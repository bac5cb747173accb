using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpInfer.Numerics.Kernels.Vnni;
using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One Q8_0 activation row times weights in <see cref="Q8_0AmxLayout"/> with emitted AVX512_VNNI code, as
/// ggml serves M = 1 for its AMX buffer: the activation bytes made unsigned (a + 128) and broadcast four
/// at a time, VPDPBUSD against a panel's 64-byte VNNI lines (16 rows per zmm), and the layout's per-row
/// compensation Σ128·w subtracted, which leaves the exact int32 block sums; then per block
/// <c>C = fma(isum, d_w·d_a, C)</c> in 16 float lanes — the scalar twin's operations, so the same bits.
/// Two instructions per 64 weight bytes where the intrinsic path (no 512-bit VPDPBUSD in .NET 10) needs
/// seven: on the 16-core AMX Xeon that path generated Q8_0 at 24.7 t/s against the default path's 40.5.
/// </summary>
internal static unsafe class Q8_0AmxVnniGemv
{
    private const int Panel = Q8_0AmxLayout.PanelRows, Block = Q8_0AmxLayout.BlockElements;

    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public byte* Packed;      // first tile of the first panel
        public long PanelBytes;
        public byte* Unsigned;    // the activation's K quants, each + 128
        public float* Scales;     // the activation's d per block, as float
        public float* Output;     // 16 floats per panel
        public long Panels;
        public long Blocks;
        public const int OffPacked = 0, OffPanelBytes = 8, OffUnsigned = 16, OffScales = 24, OffOutput = 32, OffPanels = 40, OffBlocks = 48;
    }

    private static readonly ExecutableCode? s_code = Map();

    [ThreadStatic] private static byte[]? t_unsigned;
    [ThreadStatic] private static float[]? t_scales;

    /// <summary>Where the emitted VNNI kernels run (<see cref="VnniTiles"/>: AVX512_VNNI and executable pages).</summary>
    public static bool IsAvailable => s_code is not null;

    private static ExecutableCode? Map()
    {
        if (!VnniTiles.IsAvailable) return null;
        try { return new ExecutableCode(Emit(X64Abi.Native)); }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException) { return null; }
    }

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Multiply(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (s_code is null) throw new InvalidOperationException($"no AVX512_VNNI kernels here ({VnniTiles.UnavailableReason})");
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        if (r1 <= r0) return;
        int kb = k / Block;
        if (t_unsigned is null || t_unsigned.Length < k) t_unsigned = GC.AllocateUninitializedArray<byte>(k, pinned: true);
        if (t_scales is null || t_scales.Length < kb) t_scales = GC.AllocateUninitializedArray<float>(kb, pinned: true);
        long panelBytes = (long)kb * Q8_0AmxLayout.TileBytes;
        fixed (byte* u = t_unsigned)
        fixed (float* d = t_scales)
        {
            var flip = Vector256.Create((byte)0x80);
            for (int b = 0; b < kb; b++)
            {
                byte* block = activation + (long)b * Q8_0AmxLayout.BlockBytes;
                d[b] = (float)*(Half*)block;
                (Vector256.Load(block + 2) ^ flip).Store(u + b * Block);
            }
            var args = new Args
            {
                Packed = packed + r0 / Panel * panelBytes, PanelBytes = panelBytes, Unsigned = u, Scales = d,
                Output = y + r0, Panels = (r1 - r0) / Panel, Blocks = kb,
            };
            ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)s_code.Entry)(&args);
        }
    }

    internal static byte[] Emit(X64Abi abi)
    {
        const VecWidth Z = VecWidth.Z;
        const int FAcc = 0, IAcc = 1, Act = 2, Comp = 3, Sums = 4, Scale = 5;
        Reg args = Reg.R11, packed = Reg.Rax, panelBytes = Reg.Rbx, unsignedRow = Reg.Rcx, scales = Reg.Rdx, output = Reg.Rsi,
            panels = Reg.R8, blocks = Reg.R9, tile = Reg.R10, act = Reg.R12, scale = Reg.R13, count = Reg.R14;
        var e = new X64Emitter();
        var saved = abi.Prologue(e, [args, packed, panelBytes, unsignedRow, scales, output, panels, blocks, tile, act, scale, count]);
        e.Mov(args, abi.IntArgs[0]);
        e.Load(packed, Mem.At(args, Args.OffPacked));
        e.Load(panelBytes, Mem.At(args, Args.OffPanelBytes));
        e.Load(unsignedRow, Mem.At(args, Args.OffUnsigned));
        e.Load(scales, Mem.At(args, Args.OffScales));
        e.Load(output, Mem.At(args, Args.OffOutput));
        e.Load(panels, Mem.At(args, Args.OffPanels));
        e.Load(blocks, Mem.At(args, Args.OffBlocks));
        var done = new Label();
        e.Test(panels, panels);
        e.J(Cond.LE, done);

        var panel = new Label();
        e.Bind(panel);
        e.Vpxord(FAcc, FAcc, FAcc, Z);
        e.Mov(tile, packed);
        e.Mov(act, unsignedRow);
        e.Mov(scale, scales);
        e.Mov(count, blocks);
        var block = new Label();
        e.Bind(block);
        e.Vpxord(IAcc, IAcc, IAcc, Z);
        for (int g = 0; g < Block / 4; g++)
        {
            // lanes j += Σ_i (a[4g+i] + 128) · w[row j][4g+i]: line g of the tile holds row j's four bytes at 4j
            e.Vpbroadcastd(Act, Mem.At(act, 4 * g), Z);
            e.Vpdpbusd(IAcc, Act, Mem.At(tile, 64 * g), Z);
        }
        e.Vmovdqu32(Comp, Mem.At(tile, Q8_0AmxLayout.CompensationOffset), Z);
        e.Vpsubd(IAcc, IAcc, Comp, Z);                                  // − Σ 128·w: the exact block sums
        e.Vcvtdq2ps(Sums, IAcc, Z);
        e.Vcvtph2ps(Scale, Mem.At(tile, Q8_0AmxLayout.ScalesOffset), Z); // d_w of the 16 rows
        e.VmulpsBroadcast(Scale, Scale, Mem.At(scale), Z);              // · d_a
        e.Vfmadd231ps(FAcc, Sums, Scale, Z);
        e.AddImm(tile, Q8_0AmxLayout.TileBytes);
        e.AddImm(act, Block);
        e.AddImm(scale, sizeof(float));
        e.SubImm(count, 1);
        e.J(Cond.NE, block);
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
