using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// The row-dot kernels behind <see cref="VecDot.Dot"/> as raw function pointers
/// <c>(weightRow, activationRow, n) → float</c>, one table per <see cref="KernelIsa"/>. The table for
/// <see cref="CpuKernels.Best"/> is built once; drivers fetch a pointer per matrix and call it per row.
/// A type without a vector kernel at some level uses the next lower level's kernel.
/// </summary>
public static unsafe class DotKernels
{
    private static readonly IntPtr[] s_best = Build(CpuKernels.Best);
    private static readonly IntPtr[] s_bestMulti = BuildMulti(CpuKernels.Best);
    private static readonly IntPtr[] s_bestTile = BuildTile(CpuKernels.Best);
    private static readonly IntPtr[] s_bestColumn = BestColumns();

    static DotKernels()
    {
        // The kernels are compiled fully optimized at their first call (AggressiveOptimization), which comes after
        // this. With Simd256 initialized by then, the JIT reads its f16 table pointer as a constant instead of
        // checking class initialization inside the loops (which made it keep the accumulators in memory).
        RuntimeHelpers.RunClassConstructor(typeof(Simd256).TypeHandle);
    }

    /// <summary>The fastest kernel for <paramref name="weightType"/> on this CPU (pointers must be valid for the row's bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static delegate*<byte*, byte*, int, float> Best(GgmlType weightType)
    {
        var p = (delegate*<byte*, byte*, int, float>)s_best[(int)weightType];
        if (p == null) ThrowUnsupported(weightType);
        return p;
    }

    /// <summary>The kernel written for <paramref name="isa"/> (tests and benchmarks use this to check each level against the scalar twin).</summary>
    public static delegate*<byte*, byte*, int, float> For(GgmlType weightType, KernelIsa isa)
    {
        CpuKernels.Require(isa);
        var p = Lookup(weightType, isa);
        if (p == null) ThrowUnsupported(weightType);
        return p;
    }

    /// <summary>
    /// The level whose kernel <see cref="Best"/> uses for <paramref name="t"/>. On an AVX-512 CPU the quantized types
    /// keep their AVX2 kernels, which follow ggml-cpu's x86 code (it has no AVX-512 variant of these dots, so
    /// llama.cpp's AVX-512 builds run the same AVX2 code): same lanes, same FMA order, hence the same float result as
    /// llama.cpp. Measured on the target (AMD Zen 4, which executes 512-bit operations as two 256-bit halves) they are
    /// also 5–25% faster than our two-blocks-per-register AVX-512 kernels for the 32-value types; only Q6_K's
    /// AVX-512 kernel is faster (~20%). The AVX-512 kernels stay selectable through <see cref="For"/>. IQ4_XS, Q2_K and
    /// Q3_K are the exceptions: their AVX-512 kernels keep the AVX2 kernels' lanes and FMA order (the same bits) and run
    /// faster (gemv bench IQ4_XS 13.7 → 25.5 GMAC/s; Q2_K, Q3_K see <see cref="Avx512LowBitKQuantDots"/>).
    /// </summary>
    internal static KernelIsa PreferredIsa(GgmlType t, KernelIsa best) =>
        best == KernelIsa.Avx512 && VecDot.Supports(t) && GgmlTypeInfo.Get(t).IsQuantized && !KeepsAvx2Bits(t) ? KernelIsa.Avx2 : best;

    /// <summary>The quantized types whose AVX-512 kernels give the AVX2 (ggml) kernels' bits, faster.</summary>
    private static bool KeepsAvx2Bits(GgmlType t) => t is GgmlType.IQ4_XS or GgmlType.Q2_K or GgmlType.Q3_K;

    /// <summary>
    /// The kernel that dots one weight row with <see cref="MultiRowDots.Rows"/> activation rows at once for
    /// <paramref name="weightType"/> on this CPU, or null where there is none; its outputs are bit-identical to
    /// <see cref="Best"/>'s. Arguments: (weightRow, firstActivationRow, activationStride, n, output, outputStride).
    /// </summary>
    public static delegate*<byte*, byte*, nint, int, float*, nint, void> BestMultiRow(GgmlType weightType) =>
        (delegate*<byte*, byte*, nint, int, float*, nint, void>)s_bestMulti[(int)weightType];

    /// <summary>
    /// The register-blocked kernel that multiplies <see cref="SignedBlockTiles.Rows"/> weight rows by as many activation
    /// rows for <paramref name="weightType"/> on this CPU, or null; bit-identical to <see cref="Best"/>'s outputs.
    /// Arguments: (firstWeightRow, weightStride, firstActivationRow, activationStride, n, output, outputStride).
    /// </summary>
    public static delegate*<byte*, nint, byte*, nint, int, float*, nint, void> BestTile(GgmlType weightType) =>
        (delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)s_bestTile[(int)weightType];

    /// <summary>
    /// The prepared form of <see cref="BestTile"/> where it has one (Q4_K; Q6_K on AVX-512): <c>Prepare</c> unpacks the
    /// weight side of consecutive row pairs once (scales, mins, quants) into records of <c>RecordBytes</c> per pair and
    /// super-block, and <c>Kernel</c> is the tile reading a pair's records (last argument); together they give
    /// <see cref="BestTile"/>'s bits. A caller running many activation groups over the same rows prepares them once.
    /// </summary>
    internal static PreparedTile BestPreparedTile(GgmlType weightType) => DotKernels.BestTile(weightType) == null ? default : weightType switch
    {
        GgmlType.Q4_K => MultiRowDots.Q4_KPrepared,
        GgmlType.Q6_K => KQuantColumns.Q6_KPrepared,
        _ => default,
    };

    /// <summary>Weight rows one <see cref="BestTile"/> call covers (its activation rows are always <see cref="MultiRowDots.Rows"/>).</summary>
    public static int TileWeightRows(GgmlType weightType) => weightType is GgmlType.Q4_K or GgmlType.Q6_K ? 2 : SignedBlockTiles.Rows;

    internal static delegate*<byte*, nint, byte*, nint, int, float*, nint, void> TileFor(GgmlType t, KernelIsa isa)
    {
        CpuKernels.Require(isa);
        if (isa == KernelIsa.Scalar) return null;
        return t switch
        {
            GgmlType.Q8_0 => &SignedBlockTiles.Tile<Q8_0Block>,
            GgmlType.Q4_0 => &SignedBlockTiles.Tile<Q4_0Block>,
            GgmlType.Q5_0 => &SignedBlockTiles.Tile<Q5_0Block>,
            GgmlType.Q4_K => &MultiRowDots.Q4_KTile2x4,
            // integer part on 512-bit registers, float part AVX2's, as DefaultMultiRow's Q6_K kernel (bit-identical)
            GgmlType.Q6_K when isa == KernelIsa.Avx512 => &KQuantColumns.Q6_KTile2x4,
            _ => null,
        };
    }

    /// <summary>
    /// The kernel that multiplies groups of <see cref="SignedBlockTiles.Rows"/> consecutive weight rows by one activation
    /// row for <paramref name="weightType"/> on this CPU, or null; bit-identical to <see cref="Best"/>'s outputs.
    /// Arguments: (firstWeightRow, weightStride, activationRow, n, output[0..4·groups), groups).
    /// </summary>
    public static delegate*<byte*, nint, byte*, int, float*, int, void> BestColumn(GgmlType weightType) =>
        (delegate*<byte*, nint, byte*, int, float*, int, void>)s_bestColumn[(int)weightType];

    internal static delegate*<byte*, nint, byte*, int, float*, int, void> ColumnFor(GgmlType t, KernelIsa isa)
    {
        CpuKernels.Require(isa);
        if (isa == KernelIsa.Scalar) return null;
        return (t, isa) switch
        {
            (GgmlType.Q8_0, _) => &SignedBlockTiles.Column<Q8_0Block>,
            (GgmlType.Q4_0, _) => &SignedBlockTiles.Column<Q4_0Block>,
            (GgmlType.Q5_0, _) => &SignedBlockTiles.Column<Q5_0Block>,
            // 512-bit integer part, AVX2-order float part: bit-identical to the AVX2 row kernels
            (GgmlType.Q4_K, KernelIsa.Avx512) => &KQuantColumns.Q4_K,
            (GgmlType.Q5_K, KernelIsa.Avx512) => &KQuantColumns.Q5_K,
            (GgmlType.Q6_K, KernelIsa.Avx512) => &KQuantColumns.Q6_K,
            (GgmlType.Q2_K, KernelIsa.Avx512) => &Avx512LowBitKQuantDots.Q2_KColumn,
            (GgmlType.Q3_K, KernelIsa.Avx512) => &Avx512LowBitKQuantDots.Q3_KColumn,
            // the AVX2 row kernel's bits (ggml's block-pair accumulators side by side in one 16-lane register)
            (GgmlType.IQ4_NL, KernelIsa.Avx512) => &IQ4_NLColumns.Column,
            _ => null,
        };
    }

    /// <summary>The column kernels of <see cref="CpuKernels.Best"/>, with the emitted VNNI Q4_K kernel where it runs (same bits).</summary>
    private static IntPtr[] BestColumns()
    {
        var table = BuildColumn(CpuKernels.Best);
        if (CpuKernels.Best == KernelIsa.Avx512 && Vnni.VnniQ4KColumns.IsAvailable)
            table[(int)GgmlType.Q4_K] = (IntPtr)(delegate*<byte*, nint, byte*, int, float*, int, void>)&Vnni.VnniQ4KColumns.Column;
        return table;
    }

    private static IntPtr[] BuildColumn(KernelIsa isa)
    {
        var table = new IntPtr[64];
        for (int t = 0; t < table.Length; t++) table[t] = (IntPtr)ColumnFor((GgmlType)t, isa);
        return table;
    }

    private static IntPtr[] BuildTile(KernelIsa isa)
    {
        var table = new IntPtr[64];
        for (int t = 0; t < table.Length; t++)
            table[t] = (IntPtr)TileFor((GgmlType)t, (GgmlType)t == GgmlType.Q6_K ? isa : PreferredIsa((GgmlType)t, isa));
        return table;
    }

    internal static delegate*<byte*, byte*, nint, int, float*, nint, void> MultiRowFor(GgmlType t, KernelIsa isa)
    {
        CpuKernels.Require(isa);
        return (isa, t) switch
        {
            (KernelIsa.Avx512, GgmlType.Q8_0) => &MultiRowDots.Q8_0Avx512,
            (KernelIsa.Avx512, GgmlType.Q4_0) => &MultiRowDots.Q4_0Avx512,
            (KernelIsa.Avx2, GgmlType.Q8_0) => &MultiRowDots.Q8_0Avx2,
            (KernelIsa.Avx2, GgmlType.Q4_0) => &MultiRowDots.Q4_0Avx2,
            (KernelIsa.Avx512 or KernelIsa.Avx2, GgmlType.Q4_K) => &MultiRowDots.Q4_KAvx2,
            (KernelIsa.Avx512 or KernelIsa.Avx2, GgmlType.Q5_K) => &MultiRowDots.Q5_KAvx2,
            (KernelIsa.Avx2, GgmlType.Q6_K) => &MultiRowDots.Q6_KAvx2,
            (KernelIsa.Avx512, GgmlType.Q6_K) => &MultiRowDots.Q6_KAvx512,
            (KernelIsa.Avx512, GgmlType.IQ4_XS) when Bmi2.X64.IsSupported => &MultiRowDots.IQ4_XSAvx512,
            (KernelIsa.Avx2, GgmlType.IQ4_NL) => &MultiRowDots.IQ4_NLAvx2,
            (KernelIsa.Avx2, GgmlType.Q5_1) => &MultiRowDots.Q5_1Avx2,
            (KernelIsa.Avx512, GgmlType.Q2_K) => &Avx512LowBitKQuantDots.Q2_KRows,
            (KernelIsa.Avx512, GgmlType.Q3_K) => &Avx512LowBitKQuantDots.Q3_KRows,
            _ => null,
        };
    }

    private static IntPtr[] BuildMulti(KernelIsa isa)
    {
        var table = new IntPtr[64];
        for (int t = 0; t < table.Length; t++) table[t] = (IntPtr)DefaultMultiRow((GgmlType)t, isa);
        return table;
    }

    /// <summary>
    /// The multi-row kernel <see cref="BestMultiRow"/> uses: the preferred level's, except that on AVX-512 Q6_K takes the
    /// kernel whose integer part is 512-bit and whose float part is AVX2's (bit-identical; gemm bench 41 -> 48 GMAC/s; the
    /// same for Q4_K measured slower, 47 -> 33, its activation pairs are not contiguous).
    /// </summary>
    internal static delegate*<byte*, byte*, nint, int, float*, nint, void> DefaultMultiRow(GgmlType t, KernelIsa isa) => (t, isa) switch
    {
        (GgmlType.Q6_K, KernelIsa.Avx512) => &KQuantColumns.Q6_KRows,
        _ => MultiRowFor(t, PreferredIsa(t, isa)),
    };

    private static IntPtr[] Build(KernelIsa isa)
    {
        var table = new IntPtr[64];
        for (int t = 0; t < table.Length; t++) table[t] = (IntPtr)Lookup((GgmlType)t, PreferredIsa((GgmlType)t, isa));
        return table;
    }

    private static delegate*<byte*, byte*, int, float> Lookup(GgmlType t, KernelIsa isa)
    {
        if (isa == KernelIsa.Avx512)
        {
            switch (t)
            {
                case GgmlType.F32: return &SimdFloatDots.F32Avx512;
                case GgmlType.F16: return &SimdFloatDots.F16Avx512;
                case GgmlType.BF16: return &SimdFloatDots.Bf16Avx512;
                case GgmlType.Q4_0: return &Avx512LegacyDots.Q4_0;
                case GgmlType.Q4_1: return &Avx512LegacyDots.Q4_1;
                case GgmlType.Q5_0: return &Avx512LegacyDots.Q5_0;
                case GgmlType.Q5_1: return &Avx512LegacyDots.Q5_1;
                case GgmlType.Q8_0: return &Avx512LegacyDots.Q8_0;
                case GgmlType.IQ4_NL: return &Avx512LegacyDots.IQ4_NL;
                case GgmlType.Q6_K: return &Avx512KQuantDots.Q6_K;
                case GgmlType.IQ4_XS when Bmi2.X64.IsSupported: return &Avx512KQuantDots.IQ4_XS;
                case GgmlType.Q2_K: return &Avx512LowBitKQuantDots.Q2_K;
                case GgmlType.Q3_K: return &Avx512LowBitKQuantDots.Q3_K;
            }
            isa = KernelIsa.Avx2;
        }
        if (isa == KernelIsa.Avx2)
        {
            switch (t)
            {
                case GgmlType.F32: return &SimdFloatDots.F32Avx2;
                case GgmlType.F16: return &SimdFloatDots.F16Avx2;
                case GgmlType.BF16: return &SimdFloatDots.Bf16Avx2;
                case GgmlType.Q4_0: return &Avx2LegacyDots.Q4_0;
                case GgmlType.Q4_1: return &Avx2LegacyDots.Q4_1;
                case GgmlType.Q5_0: return &Avx2LegacyDots.Q5_0;
                case GgmlType.Q5_1: return &Avx2LegacyDots.Q5_1;
                case GgmlType.Q8_0: return &Avx2LegacyDots.Q8_0;
                case GgmlType.IQ4_NL: return &Avx2LegacyDots.IQ4_NL;
                case GgmlType.Q2_K: return &Avx2KQuantDots.Q2_K;
                case GgmlType.Q3_K: return &Avx2KQuantDots.Q3_K;
                case GgmlType.Q4_K: return &Avx2KQuantDots.Q4_K;
                case GgmlType.Q5_K: return &Avx2KQuantDots.Q5_K;
                case GgmlType.Q6_K: return &Avx2KQuantDots.Q6_K;
                case GgmlType.IQ4_XS: return &Avx2KQuantDots.IQ4_XS;
            }
        }
        return t switch
        {
            GgmlType.F32 => &ScalarDots.F32,
            GgmlType.F16 => &ScalarDots.F16,
            GgmlType.BF16 => &ScalarDots.Bf16,
            GgmlType.Q4_0 => &ScalarDots.Q4_0,
            GgmlType.Q4_1 => &ScalarDots.Q4_1,
            GgmlType.Q5_0 => &ScalarDots.Q5_0,
            GgmlType.Q5_1 => &ScalarDots.Q5_1,
            GgmlType.Q8_0 => &ScalarDots.Q8_0,
            GgmlType.IQ4_NL => &ScalarDots.IQ4_NL,
            GgmlType.Q2_K => &ScalarDots.Q2_K,
            GgmlType.Q3_K => &ScalarDots.Q3_K,
            GgmlType.Q4_K => &ScalarDots.Q4_K,
            GgmlType.Q5_K => &ScalarDots.Q5_K,
            GgmlType.Q6_K => &ScalarDots.Q6_K,
            GgmlType.IQ4_XS => &ScalarDots.IQ4_XS,
            _ => null,
        };
    }

    private static void ThrowUnsupported(GgmlType t) =>
        throw new NotSupportedException($"no dot product for weight type {GgmlTypeInfo.Get(t).Name}");
}

/// <summary>Pointer entry points of the scalar reference kernels (<see cref="FloatDots"/>, <see cref="LegacyDots"/>, <see cref="KQuantDots"/>).</summary>
internal static unsafe class ScalarDots
{
    private static ReadOnlySpan<byte> W(byte* p, int n, int blockSize, int blockBytes) => new(p, n / blockSize * blockBytes);

    public static float F32(byte* x, byte* y, int n) => FloatDots.F32(W(x, n, 1, 4), W(y, n, 1, 4), n);
    public static float F16(byte* x, byte* y, int n) => FloatDots.F16(W(x, n, 1, 2), W(y, n, 1, 2), n);
    public static float Bf16(byte* x, byte* y, int n) => FloatDots.Bf16(W(x, n, 1, 2), W(y, n, 1, 2), n);
    public static float Q4_0(byte* x, byte* y, int n) => LegacyDots.Q4_0(W(x, n, 32, 18), W(y, n, 32, 34), n);
    public static float Q4_1(byte* x, byte* y, int n) => LegacyDots.Q4_1(W(x, n, 32, 20), W(y, n, 32, 36), n);
    public static float Q5_0(byte* x, byte* y, int n) => LegacyDots.Q5_0(W(x, n, 32, 22), W(y, n, 32, 34), n);
    public static float Q5_1(byte* x, byte* y, int n) => LegacyDots.Q5_1(W(x, n, 32, 24), W(y, n, 32, 36), n);
    public static float Q8_0(byte* x, byte* y, int n) => LegacyDots.Q8_0(W(x, n, 32, 34), W(y, n, 32, 34), n);
    public static float IQ4_NL(byte* x, byte* y, int n) => LegacyDots.IQ4_NL(W(x, n, 32, 18), W(y, n, 32, 34), n);
    public static float Q2_K(byte* x, byte* y, int n) => KQuantDots.Q2_K(W(x, n, 256, 84), W(y, n, 256, 292), n);
    public static float Q3_K(byte* x, byte* y, int n) => KQuantDots.Q3_K(W(x, n, 256, 110), W(y, n, 256, 292), n);
    public static float Q4_K(byte* x, byte* y, int n) => KQuantDots.Q4_K(W(x, n, 256, 144), W(y, n, 256, 292), n);
    public static float Q5_K(byte* x, byte* y, int n) => KQuantDots.Q5_K(W(x, n, 256, 176), W(y, n, 256, 292), n);
    public static float Q6_K(byte* x, byte* y, int n) => KQuantDots.Q6_K(W(x, n, 256, 210), W(y, n, 256, 292), n);
    public static float IQ4_XS(byte* x, byte* y, int n) => KQuantDots.IQ4_XS(W(x, n, 256, 136), W(y, n, 256, 292), n);
}
