using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpInfer.Platform.X64;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// Q4_K generation on CPUs with AVX512_VNNI: 4 weight rows against one Q8_K activation row in emitted code,
/// bit-identical to <see cref="KQuantColumns.Q4_K"/> (and so to ggml's AVX2 vec_dot). Per 32-value sub-block one
/// VPMADDUBSW of the nibbles and the activation bytes, then one VPDPWSSD that multiplies the int16 pairs by the
/// sub-block's scale and adds them to the super-block's int32 lanes — ggml's madd-then-add, exact, in one operation that
/// .NET 10 does not expose; per super-block one conversion and one FMA with d·d_y. The 6-bit scales and mins are
/// unpacked in general-purpose registers (which the vector work leaves idle): each scale goes to a small scratch area as
/// a dword s | s≪16 so that a dword broadcast feeds every int16 lane. The min term keeps ggml's float order
/// (4 lanes of m·(bsum pairs), FMA with −d_y·dmin, reduced as ggml does).
/// </summary>
internal static unsafe class VnniQ4KColumns
{
    public const int Rows = 4;

    private const int BlockBytes = 144, Q8KBytes = 292, Q8KQs = 4, Q8KBsums = 260;

    /// <summary>Scratch the kernel writes per row (the 8 scale dwords of the current super-block), and its output floats.</summary>
    private const int ScaleBytes = 32, MinsOutOffset = 4 * 32;

    private static readonly ExecutableCode? s_code = Map();

    /// <summary>Where the emitted kernel runs (<see cref="VnniTiles"/>: AVX512_VNNI and executable pages).</summary>
    public static bool IsAvailable => s_code != null;

    private static ExecutableCode? Map()
    {
        if (!VnniTiles.IsAvailable) return null;
        try { return new ExecutableCode(Emit(X64Abi.Native)); }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException) { return null; }
    }

    /// <summary>
    /// Outputs s[0..4·groups) for Q4_K weight rows x + i·xs (<paramref name="groups"/> groups of 4) against the Q8_K
    /// activation row y; <paramref name="n"/> a multiple of 256. The arguments are set up once for all groups.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Column(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        var scales = stackalloc int[Rows * ScaleBytes / 4];
        var acc = stackalloc Vector256<float>[Rows + Rows / 2]; // 4 main accumulators, then 4 × 4 min-term lanes
        var args = new VnniTileArgs
        {
            Weights = x, WeightStride = xs, Activations = y, Side = (byte*)scales, Blocks = n / 256, Accumulators = (float*)acc,
            PrefetchDistance = GenerationPrefetch.Distance(n / 256 * BlockBytes, xs),
        };
        var kernel = (delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)s_code!.Entry;
        var mins = (Vector128<float>*)((byte*)acc + MinsOutOffset);
        for (int g = 0; g < groups; g++, s += Rows)
        {
            args.Weights = x + g * Rows * xs;
            kernel(&args);
            for (int r = 0; r < Rows; r++) s[r] = HSum(acc[r]) + Avx2KQuantDots.HSum4(mins[r]);
        }
    }

    // Vector registers: activation bytes of chunk j, values 0–31 (meeting the low nibbles) j, 32–63 (high nibbles) 4 + j;
    // 0x0F 8, weight bytes 9, low / high nibbles 10 / 11, their int16 pair sums 12 / 13, int16 ones 14, the super-block's
    // 8 bsum pairs (int16) 15, row r's accumulator 16 + r, the row's two partial int32 sums 20 / 21 (each row in
    // turn: register renaming keeps the rows apart), min-term lanes 24 + r; [d, dmin]·d_y 28,
    // d·d_y broadcast 29, dmin·d_y broadcast 30, the mins 31.
    private const int Mask = 8, Bits = 9, Low = 10, High = 11, PairsLow = 12, PairsHigh = 13, Ones = 14, BsumPairs = 15,
        AccBase = 16, SumBase = 20, MinAccBase = 24, Scales = 28, D = 29, DMin = 30, Mins = 31;

    /// <summary>The kernel for 4 rows over all super-blocks; reads <see cref="VnniTileArgs"/> (Side = 4 × 32 bytes of scratch).</summary>
    public static byte[] Emit(X64Abi abi)
    {
        var e = new X64Emitter();
        Reg x = Reg.Rax, xs = Reg.Rbx, xs3 = Reg.Rcx, y = Reg.Rdx, scr = Reg.Rsi, count = Reg.R8, args = Reg.R9,
            next = Reg.R10, u0 = Reg.R11, u1 = Reg.R12, u2 = Reg.R13, pairMask = Reg.R14, o0 = Reg.R15, t = Reg.Rdi, pair = Reg.Rbp;
        var saved = abi.Prologue(e, [x, xs, xs3, y, scr, count, args, next, u0, u1, u2, pairMask, o0, t, pair], X64Abi.AllVectors);
        e.Mov(args, abi.IntArgs[0]);
        e.LoadFields(args, (x, VnniTileArgs.WeightsOffset), (xs, VnniTileArgs.WeightStrideOffset),
            (y, VnniTileArgs.ActivationsOffset), (scr, VnniTileArgs.SideOffset), (count, VnniTileArgs.BlocksOffset));
        e.ImulImm(xs3, xs, 3);
        for (int r = 0; r < Rows; r++)
        {
            e.Vpxord(AccBase + r, AccBase + r, AccBase + r);
            e.Vpxord(MinAccBase + r, MinAccBase + r, MinAccBase + r);
        }
        e.MovImm32(u0, 0x0F0F0F0F);
        e.Vpbroadcastd(Mask, u0);
        e.MovImm32(u0, 0x00010001);
        e.Vpbroadcastd(Ones, u0);
        e.MovImm(pairMask, 0x000000FF_000000FF); // PDEP: two scale bytes to the low bytes of two dwords
        // Generation streams weights from memory: a region ahead (VnniTileArgs.PrefetchDistance, whole groups of 4 rows)
        // is prefetched in order into L2, as many lines per super-block step as the 4 rows consume. One Zen 4 core,
        // llama-1b Q4_K_M tg (alternated runs): 4 rows ahead 19.8 t/s, 8 rows 22.8–23.2, 12 rows (13.8 KB) 23.7,
        // 16 and 24 rows 23.7; targets of 12, 16, 24 and 64 KB within noise of each other.
        var rows = new RowLoop(e, x, xs, xs3, next, count);
        rows.Begin(args);
        Mem Row(int r, int disp) => rows.Row(r, disp);
        for (int j = 0; j < 4; j++)
        {
            e.Vmovdqu32(j, Mem.At(y, Q8KQs + 64 * j));
            e.Vmovdqu32(4 + j, Mem.At(y, Q8KQs + 64 * j + 32));
        }
        // ggml's q8s: the 16 bsums summed in pairs, as int16
        e.Vmovdqu32(Bits, Mem.At(y, Q8KBsums), VecWidth.X);
        e.Vmovdqu32(Low, Mem.At(y, Q8KBsums + 16), VecWidth.X);
        e.Vpmaddwd(Bits, Bits, Ones);
        e.Vpmaddwd(Low, Low, Ones);
        e.Vpackssdw(BsumPairs, Bits, Low);
        for (int r = 0; r < Rows; r++)
        {
            // get_scale_min_k4 in general-purpose registers: o0 = scales 0–3, u0 = scales 4–7, t = mins 0–7
            e.Load(u0, Row(r, 4), wide: false);
            e.Load(u1, Row(r, 8), wide: false);
            e.Load(u2, Row(r, 12), wide: false);
            e.Mov(o0, u0, wide: false);
            e.AndImm(o0, 0x3f3f3f3f, wide: false);
            e.ShrImm(u0, 6, wide: false);
            e.AndImm(u0, 0x03030303, wide: false);
            e.ShlImm(u0, 4, wide: false);
            e.Mov(t, u2, wide: false);
            e.AndImm(t, 0x0f0f0f0f, wide: false);
            e.Or(u0, t, wide: false);
            e.Mov(t, u1, wide: false);
            e.AndImm(t, 0x3f3f3f3f, wide: false);
            e.ShrImm(u2, 4, wide: false);
            e.AndImm(u2, 0x0f0f0f0f, wide: false);
            e.ShrImm(u1, 6, wide: false);
            e.AndImm(u1, 0x03030303, wide: false);
            e.ShlImm(u1, 4, wide: false);
            e.Or(u2, u1, wide: false);
            e.ShlImm(u2, 32);
            e.Or(t, u2);
            e.Vmovq(Mins, t);
            for (int q = 0; q < 4; q++)
            {
                // scales 2q, 2q + 1 as the dwords s | s<<16 at scr + 32r + 8q
                Reg src = q < 2 ? o0 : u0;
                if ((q & 1) == 1) e.ShrImm(src, 16, wide: false);
                e.Pdep(pair, src, pairMask);
                e.ImulImm(pair, pair, 0x10001); // s -> s | s<<16 in both dwords (s < 64: nothing carries between them)
                e.Store(Mem.At(scr, ScaleBytes * r + 8 * q), pair);
            }
            // [d, dmin, d, dmin]·d_y: d·d_y for the sums, dmin·d_y for the min term (subtracted: −(a·b) + c is ggml's
            // FMA with −d_y·dmin, negation being exact)
            e.Vpbroadcastd(Scales, Row(r, 0), VecWidth.X);
            e.Vcvtph2ps(Scales, Scales, VecWidth.X);
            e.VmulpsBroadcast(Scales, Scales, Mem.At(y), VecWidth.X);
            e.Vbroadcastss(D, Scales);
            e.Vpermilps(DMin, Scales, 0x55);
            e.Vpmovzxbw(Mins, Mins);
            e.Vpmaddwd(Mins, Mins, BsumPairs);
            e.Vcvtdq2ps(Mins, Mins, VecWidth.X);
            e.Vfnmadd231ps(MinAccBase + r, Mins, DMin, VecWidth.X);
            // The super-block's int32 lanes in two partial sums (low-nibble and high-nibble sub-blocks), added at the
            // end: integer sums, so the same lanes, but a chain of 4 VPDPWSSD per row instead of 8 (the step is long
            // enough that the next step's rows barely overlap it, so its latency showed).
            int sum = SumBase, sumHigh = sum + 1;
            e.Vpxord(sum, sum, sum);
            e.Vpxord(sumHigh, sumHigh, sumHigh);
            for (int j = 0; j < 4; j++)
            {
                // chunk j: 32 bytes whose low nibbles are sub-block 2j and high nibbles sub-block 2j + 1
                e.Vmovdqu32(Bits, Row(r, 16 + 32 * j));
                e.Vpandd(Low, Bits, Mask);
                e.Vpsrlw(High, Bits, 4);
                e.Vpandd(High, High, Mask);
                e.Vpmaddubsw(PairsLow, Low, j);
                e.VpdpwssdBroadcast(sum, PairsLow, Mem.At(scr, ScaleBytes * r + 8 * j));
                e.Vpmaddubsw(PairsHigh, High, 4 + j);
                e.VpdpwssdBroadcast(sumHigh, PairsHigh, Mem.At(scr, ScaleBytes * r + 8 * j + 4));
            }
            e.Vpaddd(sum, sum, sumHigh);
            e.Vcvtdq2ps(sum, sum);
            e.Vfmadd231ps(AccBase + r, sum, D);
        }
        e.AddImm(x, BlockBytes);
        e.AddImm(y, Q8KBytes);
        rows.End(Rows * BlockBytes);
        e.Load(x, Mem.At(args, VnniTileArgs.AccumulatorsOffset));
        for (int r = 0; r < Rows; r++)
        {
            e.Vmovdqu32(Mem.At(x, 32 * r), AccBase + r);
            e.Vmovdqu32(Mem.At(x, MinsOutOffset + 16 * r), MinAccBase + r, VecWidth.X);
        }
        e.Vzeroupper();
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }
}
