using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels.Vnni;
using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One activation row times weights in ggml's AMX layout (<see cref="Q8_0AmxLayout"/>, <see cref="Q4_0AmxLayout"/>,
/// <see cref="Q4_1AmxLayout"/>) with emitted AVX512_VNNI code, as ggml serves M = 1 for its AMX buffer. A panel's 16
/// rows sit in one zmm: line g of a tile holds each row's four bytes of k group g at 4·row, so VPDPBUSD against a
/// broadcast of four activation bytes adds each row's four products to its lane.
/// <list type="bullet">
/// <item>Q8_0: the activation made unsigned (a + 128) against the signed weights, minus the layout's per-row
/// compensation Σ128·w.</item>
/// <item>Q4_0 / Q4_1: the unsigned nibbles against the signed activations (low nibbles: elements 8p..8p+3, high:
/// 8p+4..8p+7), Q4_0's −8 as −8·Σa per block.</item>
/// </list>
/// That leaves the exact int32 block sums; then per block <c>C = fma(isum, d_w·d_a, C)</c> (and for Q4_1
/// <c>C = fma(m_w, s_a, C)</c>) in 16 float lanes — the scalar twins' operations, so the same bits. The intrinsic
/// path (no 512-bit VPDPBUSD in .NET 10) needs about three times the instructions: on the 16-core AMX Xeon it
/// generated Q8_0 at 24.7 t/s against the default path's 40.5.
/// </summary>
internal static unsafe class AmxVnniGemv
{
    private const int Panel = 16, Block = 32;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Args
    {
        public byte* Packed;      // first tile of the first panel
        public long PanelBytes;
        public byte* Quants;      // the activation's K quants, contiguous (Q8_0: each + 128)
        public float* Scales;     // per block: d_a
        public int* Corrections;  // per block: offset·Σa (Q4_0)
        public float* Sums;       // per block: s_a (Q4_1)
        public float* Output;     // 16 floats per panel
        public long Panels;
        public long Blocks;
        public const int OffPacked = 0, OffPanelBytes = 8, OffQuants = 16, OffScales = 24, OffCorrections = 32, OffSums = 40,
            OffOutput = 48, OffPanels = 56, OffBlocks = 64;
    }

    private static readonly GgmlType[] s_types = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1];
    private static readonly ExecutableCode?[] s_code = Map();

    [ThreadStatic] private static byte[]? t_quants;
    [ThreadStatic] private static float[]? t_floats;
    [ThreadStatic] private static int[]? t_ints;

    /// <summary>Where the emitted VNNI kernels run (<see cref="VnniTiles"/>: AVX512_VNNI and executable pages).</summary>
    public static bool IsAvailable => s_code.Length > 0;

    private static ExecutableCode?[] Map()
    {
        if (!VnniTiles.IsAvailable) return [];
        try
        {
            var code = new ExecutableCode?[64];
            foreach (var t in s_types) code[(int)t] = new ExecutableCode(Emit(t, X64Abi.Native));
            return code;
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException) { return []; }
    }

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Multiply(GgmlType type, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (!IsAvailable) throw new InvalidOperationException($"no AVX512_VNNI kernels here ({VnniTiles.UnavailableReason})");
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        if (r1 <= r0) return;
        var (tileBytes, actBlockBytes, actQuants) = type switch
        {
            GgmlType.Q8_0 => (Q8_0AmxLayout.TileBytes, 34, 2),
            GgmlType.Q4_0 => (Q4_0AmxLayout.TileBytes, 34, 2),
            GgmlType.Q4_1 => (Q4_1AmxLayout.TileBytes, 36, 4),
            _ => throw new ArgumentException($"no AMX layout gemv for {type}"),
        };
        int kb = k / Block;
        if (t_quants is null || t_quants.Length < k) t_quants = GC.AllocateUninitializedArray<byte>(k, pinned: true);
        if (t_floats is null || t_floats.Length < 2 * kb) t_floats = GC.AllocateUninitializedArray<float>(2 * kb, pinned: true);
        if (t_ints is null || t_ints.Length < kb) t_ints = GC.AllocateUninitializedArray<int>(kb, pinned: true);
        long panelBytes = (long)kb * tileBytes;
        fixed (byte* q = t_quants)
        fixed (float* f = t_floats)
        fixed (int* corr = t_ints)
        {
            var flip = Vector256.Create(type == GgmlType.Q8_0 ? (byte)0x80 : (byte)0);
            for (int b = 0; b < kb; b++)
            {
                byte* block = activation + (long)b * actBlockBytes;
                f[b] = (float)*(Half*)block;
                if (type == GgmlType.Q4_1) f[kb + b] = (float)*(Half*)(block + 2);
                var quants = Vector256.Load(block + actQuants);
                (quants ^ flip).Store(q + b * Block);
                if (type == GgmlType.Q4_0)
                {
                    int sum = 0;
                    for (int i = 0; i < Block; i++) sum += (sbyte)block[actQuants + i];
                    corr[b] = Q4_0AmxLayout.Offset * sum;
                }
            }
            var args = new Args
            {
                Packed = packed + r0 / Panel * panelBytes, PanelBytes = panelBytes, Quants = q, Scales = f, Corrections = corr,
                Sums = f + kb, Output = y + r0, Panels = (r1 - r0) / Panel, Blocks = kb,
            };
            ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_code[(int)type]!.Entry)(&args);
        }
    }

    internal static byte[] Emit(GgmlType type, X64Abi abi)
    {
        const VecWidth Z = VecWidth.Z;
        const int FAcc = 0, IAcc = 1, Act = 2, Tmp = 3, Sums = 4, Scale = 5, Low = 6, High = 7, Mask = 8;
        var (tileBytes, scalesOffset) = type switch
        {
            GgmlType.Q8_0 => (Q8_0AmxLayout.TileBytes, Q8_0AmxLayout.ScalesOffset),
            GgmlType.Q4_0 => (Q4_0AmxLayout.TileBytes, Q4_0AmxLayout.ScalesOffset),
            GgmlType.Q4_1 => (Q4_1AmxLayout.TileBytes, Q4_1AmxLayout.ScalesOffset),
            _ => throw new ArgumentException($"no AMX layout gemv for {type}"),
        };
        Reg args = Reg.R11, packed = Reg.Rax, panelBytes = Reg.Rbx, quants = Reg.Rcx, output = Reg.Rsi,
            panels = Reg.R8, blocks = Reg.R9, tile = Reg.R10, act = Reg.R12, block = Reg.R13, count = Reg.R14, scratch = Reg.R15;
        var e = new X64Emitter();
        var saved = abi.Prologue(e, [args, packed, panelBytes, quants, output, panels, blocks, tile, act, block, count, scratch], X64Abi.AllVectors);
        e.Mov(args, abi.IntArgs[0]);
        e.LoadFields(args, (packed, Args.OffPacked), (panelBytes, Args.OffPanelBytes), (quants, Args.OffQuants),
            (output, Args.OffOutput), (panels, Args.OffPanels), (blocks, Args.OffBlocks));
        if (type != GgmlType.Q8_0)
        {
            e.MovImm32(scratch, 0x0F0F0F0F);
            e.Vpbroadcastd(Mask, scratch, Z);
        }
        var done = new Label();
        e.Test(panels, panels);
        e.J(Cond.LE, done);

        var panel = new Label();
        e.Bind(panel);
        e.Vpxord(FAcc, FAcc, FAcc, Z);
        e.Mov(tile, packed);
        e.Mov(act, quants);
        e.MovImm32(block, 0);
        e.Mov(count, blocks);
        var loop = new Label();
        e.Bind(loop);
        e.Vpxord(IAcc, IAcc, IAcc, Z);
        if (type == GgmlType.Q8_0)
        {
            for (int g = 0; g < Block / 4; g++)
            {
                e.Vpbroadcastd(Act, Mem.At(act, 4 * g), Z);
                e.Vpdpbusd(IAcc, Act, Mem.At(tile, 64 * g), Z);
            }
            e.Vmovdqu32(Tmp, Mem.At(tile, Q8_0AmxLayout.CompensationOffset), Z);
            e.Vpsubd(IAcc, IAcc, Tmp, Z);                     // − Σ 128·w
        }
        else
        {
            for (int p = 0; p < Block / 8; p++)
            {
                e.Vmovdqu32(Tmp, Mem.At(tile, 64 * p), Z);
                e.Vpandd(Low, Tmp, Mask, Z);
                e.Vpsrlw(High, Tmp, 4, Z);
                e.Vpandd(High, High, Mask, Z);
                e.Vpbroadcastd(Act, Mem.At(act, 8 * p), Z);
                e.Vpdpbusd(IAcc, Low, Act, Z);
                e.Vpbroadcastd(Act, Mem.At(act, 8 * p + 4), Z);
                e.Vpdpbusd(IAcc, High, Act, Z);
            }
            if (type == GgmlType.Q4_0)
            {
                e.Load(scratch, Mem.At(args, Args.OffCorrections));
                e.Vpbroadcastd(Tmp, Mem.Sib(scratch, block, 4), Z);
                e.Vpsubd(IAcc, IAcc, Tmp, Z);                 // − 8·Σa
            }
        }
        e.Vcvtdq2ps(Sums, IAcc, Z);
        e.Vcvtph2ps(Scale, Mem.At(tile, scalesOffset), Z);   // d_w of the 16 rows
        e.Load(scratch, Mem.At(args, Args.OffScales));
        e.VmulpsBroadcast(Scale, Scale, Mem.Sib(scratch, block, 4), Z); // · d_a
        e.Vfmadd231ps(FAcc, Sums, Scale, Z);
        if (type == GgmlType.Q4_1)
        {
            e.Vcvtph2ps(Scale, Mem.At(tile, Q4_1AmxLayout.MinsOffset), Z);
            e.Load(scratch, Mem.At(args, Args.OffSums));
            e.Vpbroadcastd(Tmp, Mem.Sib(scratch, block, 4), Z);
            e.Vfmadd231ps(FAcc, Scale, Tmp, Z);              // + m_w · s_a
        }
        e.AddImm(tile, tileBytes);
        e.AddImm(act, Block);
        e.AddImm(block, 1);
        e.SubImm(count, 1);
        e.J(Cond.NE, loop);
        e.Vmovdqu32(Mem.At(output), FAcc, Z);
        e.Add(packed, panelBytes);
        e.AddImm(output, Panel * sizeof(float));
        e.SubImm(panels, 1);
        e.J(Cond.NE, panel);
        e.Bind(done);
        e.Vzeroupper();
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }
}
