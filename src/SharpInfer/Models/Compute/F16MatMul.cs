using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Models.Compute;

/// <summary>
/// F16 weights × F16-rounded activations, fast and in ggml's AVX-512 summation order to the bit
/// (the orders of <see cref="GgmlSums.F16TinyBlas"/> and <see cref="GgmlSums.F16VecDot"/>). Every
/// product of two halves is exact in float, so converting both sides to float first changes nothing
/// but the speed; .NET has no vcvtph2ps, so each half is converted once instead of once per use:
/// <list type="bullet">
/// <item>Batches (tinyBLAS: two or more tokens, k a multiple of 16, rows a multiple of 4): the
/// activations are converted once per product by the caller, each thread converts a tile of
/// <see cref="TileRows"/> weight rows into its scratch, and a register-blocked kernel walks 4 weight
/// rows × 4 activation rows, each output in its own 16-lane accumulator through k, as tinyBLAS does.</item>
/// <item>One token (or a shape tinyBLAS refuses): ggml_vec_dot_f16's four 16-lane accumulators with
/// the weights converted on the fly by a three-operation conversion that is exact for every finite half
/// (the scale it leaves is carried by the activations, see <see cref="ActivationScale"/>); weights that
/// hold an infinity or NaN go through the scalar twin instead.</item>
/// </list>
/// The vector kernels need AVX-512 (<see cref="IsSupported"/>); the scalar twins
/// (<see cref="TinyBlasScalar"/>, <see cref="VecDotScalar(ushort*, float*, int)"/>) give the same bits and are what tests
/// hold them to.
/// </summary>
internal static unsafe class F16MatMul
{
    /// <summary>Weight rows one thread converts to float at a time (its scratch holds TileRows × k floats).</summary>
    public const int TileRows = 16;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported;

    /// <summary>Whether llamafile's sgemm takes the product in ggml (tinyBLAS::matmul's conditions for KN = 16).</summary>
    public static bool UsesTinyBlas(int n, int k, int m) => n >= 2 && k % 16 == 0 && m % 4 == 0;

    /// <summary>Floats of scratch one thread needs for rows of <paramref name="k"/> elements.</summary>
    public static int ScratchFloats(int k) => TileRows * k;

    /// <summary>
    /// Rows [<paramref name="r0"/>, <paramref name="r1"/>) of y = W·x: <paramref name="w"/> is m rows of k
    /// halves, <paramref name="act"/> n rows of k floats prepared by <see cref="PrepareActivations"/>, y is n × m.
    /// <paramref name="finite"/>: the rows hold no infinity or NaN (<see cref="RowsAreFinite"/>); the one-token
    /// kernel needs that to use its fast conversion.
    /// </summary>
    public static void MultiplyRows(ushort* w, int m, int k, float* act, int n, float* y, int r0, int r1, float* scratch, bool finite)
    {
        if (UsesTinyBlas(n, k, m))
        {
            if (IsSupported)
                TinyBlasRows(w, m, k, act, n, y, r0, r1, scratch);
            else
                for (var t = 0; t < n; t++)
                    for (var r = r0; r < r1; r++) y[(long)t * m + r] = TinyBlasScalar(w + (long)r * k, act + (long)t * k, k);
            return;
        }
        // several tokens in vec_dot order (a shape tinyBLAS refuses): a tile of rows stays in cache for all of them
        for (var b0 = r0; b0 < r1; b0 += TileRows)
        {
            var b1 = Math.Min(r1, b0 + TileRows);
            for (var t = 0; t < n; t++)
                VecDotRows(w, k, act + (long)t * k, y + (long)t * m, b0, b1, finite);
        }
    }

    /// <summary>n activation rows of k F16 values as the kernels want them: plain floats for tinyBLAS, scaled for vec_dot.</summary>
    public static void PrepareActivations(ushort* src, float* dst, int n, int k, int m)
    {
        if (UsesTinyBlas(n, k, m)) FloatFormats.HalfToFloat(src, dst, n * k);
        else ScaleActivations(src, dst, n * k);
    }

    // ---- batches: tinyBLAS order ----

    /// <summary>
    /// Rows [r0, r1) of y = W·x in tinyBLAS's order (each output one 16-lane accumulator through k, then
    /// _mm512_reduce_add_ps) for any float activations: <paramref name="scratch"/> holds <see cref="ScratchFloats"/>(k).
    /// Needs <see cref="IsSupported"/>.
    /// </summary>
    internal static void TinyBlasRows(ushort* w, int m, int k, float* act, int n, float* y, int r0, int r1, float* scratch)
    {
        for (var t0 = r0; t0 < r1; t0 += TileRows)
        {
            var rows = Math.Min(TileRows, r1 - t0);
            FloatFormats.HalfToFloat(w + (long)t0 * k, scratch, rows * k);
            var j = 0;
            for (; j + 4 <= n; j += 4)
            {
                var r = 0;
                for (; r + 4 <= rows; r += 4) Kernel4x4(scratch + (long)r * k, act + (long)j * k, k, y + (long)j * m + t0 + r, m);
                for (; r < rows; r++)
                    for (var jj = j; jj < j + 4; jj++) y[(long)jj * m + t0 + r] = Kernel1x1(scratch + (long)r * k, act + (long)jj * k, k);
            }
            for (; j < n; j++)
            {
                var r = 0;
                for (; r + 4 <= rows; r += 4) Kernel4x1(scratch + (long)r * k, act + (long)j * k, k, y + (long)j * m + t0 + r);
                for (; r < rows; r++) y[(long)j * m + t0 + r] = Kernel1x1(scratch + (long)r * k, act + (long)j * k, k);
            }
        }
    }

    /// <summary>4 weight rows (stride k) × 4 activation rows (stride k): 16 accumulators, each through k in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4(float* w, float* a, int k, float* y, int ldy)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        float* a0 = a, a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k;
        var c00 = Vector512<float>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
        var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
        var c20 = c00; var c21 = c00; var c22 = c00; var c23 = c00;
        var c30 = c00; var c31 = c00; var c32 = c00; var c33 = c00;
        for (nint i = 0; i < k; i += 16)
        {
            var x0 = Vector512.Load(w0 + i);
            var x1 = Vector512.Load(w1 + i);
            var x2 = Vector512.Load(w2 + i);
            var x3 = Vector512.Load(w3 + i);
            var b = Vector512.Load(a0 + i);
            c00 = Avx512F.FusedMultiplyAdd(x0, b, c00);
            c10 = Avx512F.FusedMultiplyAdd(x1, b, c10);
            c20 = Avx512F.FusedMultiplyAdd(x2, b, c20);
            c30 = Avx512F.FusedMultiplyAdd(x3, b, c30);
            b = Vector512.Load(a1 + i);
            c01 = Avx512F.FusedMultiplyAdd(x0, b, c01);
            c11 = Avx512F.FusedMultiplyAdd(x1, b, c11);
            c21 = Avx512F.FusedMultiplyAdd(x2, b, c21);
            c31 = Avx512F.FusedMultiplyAdd(x3, b, c31);
            b = Vector512.Load(a2 + i);
            c02 = Avx512F.FusedMultiplyAdd(x0, b, c02);
            c12 = Avx512F.FusedMultiplyAdd(x1, b, c12);
            c22 = Avx512F.FusedMultiplyAdd(x2, b, c22);
            c32 = Avx512F.FusedMultiplyAdd(x3, b, c32);
            b = Vector512.Load(a3 + i);
            c03 = Avx512F.FusedMultiplyAdd(x0, b, c03);
            c13 = Avx512F.FusedMultiplyAdd(x1, b, c13);
            c23 = Avx512F.FusedMultiplyAdd(x2, b, c23);
            c33 = Avx512F.FusedMultiplyAdd(x3, b, c33);
        }
        y[0] = Reduce(c00); y[1] = Reduce(c10); y[2] = Reduce(c20); y[3] = Reduce(c30);
        y += ldy;
        y[0] = Reduce(c01); y[1] = Reduce(c11); y[2] = Reduce(c21); y[3] = Reduce(c31);
        y += ldy;
        y[0] = Reduce(c02); y[1] = Reduce(c12); y[2] = Reduce(c22); y[3] = Reduce(c32);
        y += ldy;
        y[0] = Reduce(c03); y[1] = Reduce(c13); y[2] = Reduce(c23); y[3] = Reduce(c33);
    }

    /// <summary>4 weight rows × 1 activation row (the batch's last rows when n is not a multiple of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x1(float* w, float* a, int k, float* y)
    {
        float* w0 = w, w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        var c0 = Vector512<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0;
        for (nint i = 0; i < k; i += 16)
        {
            var b = Vector512.Load(a + i);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w0 + i), b, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Load(w1 + i), b, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Load(w2 + i), b, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Load(w3 + i), b, c3);
        }
        y[0] = Reduce(c0); y[1] = Reduce(c1); y[2] = Reduce(c2); y[3] = Reduce(c3);
    }

    private static float Kernel1x1(float* w, float* a, int k)
    {
        var c = Vector512<float>.Zero;
        for (nint i = 0; i < k; i += 16) c = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(a + i), c);
        return Reduce(c);
    }

    // ---- one token: ggml_vec_dot_f16 order ----

    /// <summary>
    /// The vec_dot kernel takes its activations multiplied by 2^56 (<see cref="ScaleActivations"/>) and its
    /// weights as <see cref="FloatFormats.ScaledHalves"/> (2^-112 too small), so each product comes out 2^-56 too small.
    /// That changes no bit: every half·half product is a multiple of 2^-48 below 2^32, so every partial sum
    /// is 0 or a multiple of 2^-104 below 2^63 — scaled by 2^-56 it stays in float's normal range, where
    /// scaling by a power of two commutes with rounding. The sum is scaled back before the leftovers.
    /// </summary>
    public const float ActivationScale = 72057594037927936f; // 2^56

    private const float ResultScale = ActivationScale;

    /// <summary>Activations for <see cref="VecDotRows"/>: F16 values as floats times <see cref="ActivationScale"/> (exact).</summary>
    public static void ScaleActivations(ushort* src, float* dst, int count)
    {
        FloatFormats.HalfToFloat(src, dst, count);
        for (var i = 0; i < count; i++) dst[i] *= ActivationScale;
    }

    /// <summary>Whether rows [r0, r1) hold no infinity or NaN, which <see cref="FloatFormats.ScaledHalves"/> does not convert.</summary>
    public static bool RowsAreFinite(ushort* w, int k, int r0, int r1)
    {
        var p = w + (long)r0 * k;
        var count = (long)(r1 - r0) * k;
        var exponent = Vector512.Create((ushort)0x7c00);
        long i = 0;
        if (IsSupported)
            for (; i + 32 <= count; i += 32)
                if (Vector512.EqualsAny(Vector512.Load(p + i) & exponent, exponent)) return false;
        for (; i < count; i++)
            if ((p[i] & 0x7c00) == 0x7c00) return false;
        return true;
    }

    /// <summary>
    /// ggml_vec_dot_f16 for rows [r0, r1) with one activation row prepared by <see cref="ScaleActivations"/>;
    /// the rows must be finite (<see cref="RowsAreFinite"/>), else <paramref name="finite"/> false sends them
    /// through the scalar twin.
    /// </summary>
    public static void VecDotRows(ushort* w, int k, float* scaledAct, float* y, int r0, int r1, bool finite)
    {
        var r = r0;
        if (finite && IsSupported)
        {
            // Short rows one at a time: a single sequential stream, which the hardware prefetcher follows at the full
            // read bandwidth (one Zen 4 core, 1 GiB of rows of 2048: 26-28 GB/s, as a plain read loop, against 23-24 for
            // four rows with software prefetch). Past SingleRowMaxK the activations no longer stay in L1 beside the
            // stream (rows of 4096: 18 GB/s, 8192: 11), and four rows at a time, each activation load used four times,
            // win.
            if (k <= SingleRowMaxK)
                for (; r < r1; r++) y[r] = VecDot1(w + (long)r * k, scaledAct, k);
            for (; r + 4 <= r1; r += 4)
                VecDot4(w + (long)r * k, k, scaledAct, y + r);
            for (; r + 2 <= r1; r += 2)
                VecDot2(w + (long)r * k, w + (long)(r + 1) * k, scaledAct, k, out y[r], out y[r + 1]);
            if (r < r1)
            {
                y[r] = VecDot1(w + (long)r * k, scaledAct, k);
                r++;
            }
        }
        for (; r < r1; r++) y[r] = VecDotScalar(w + (long)r * k, scaledAct, k, 1 / ActivationScale);
    }

    /// <summary>Longest rows <see cref="VecDotRows"/> takes one at a time (see there).</summary>
    internal const int SingleRowMaxK = 2048;

    /// <summary>ggml_vec_dot_f16 of one weight row with one activation row (<see cref="VecDot2"/>'s arithmetic for one row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float VecDot1(ushort* x, float* a, int k)
    {
        var np = k & ~63;
        var p0 = Vector512<float>.Zero; var p1 = p0; var p2 = p0; var p3 = p0;
        for (nint i = 0; i < np; i += 64)
        {
            p0 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i), Vector512.Load(a + i), p0);
            p1 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 16), Vector512.Load(a + i + 16), p1);
            p2 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 32), Vector512.Load(a + i + 32), p2);
            p3 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 48), Vector512.Load(a + i + 48), p3);
        }
        return Finish(p0, p1, p2, p3, x, a, np, k);
    }

    /// <summary>
    /// ggml_vec_dot_f16 of two weight rows with one activation row: per row four 16-lane accumulators
    /// over steps of 64 (GGML_F16_STEP), reduced as GGML_F32x16_REDUCE, the leftovers added in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VecDot2(ushort* x, ushort* z, float* a, int k, out float y0, out float y1)
    {
        var np = k & ~63;
        var p0 = Vector512<float>.Zero; var p1 = p0; var p2 = p0; var p3 = p0;
        var q0 = p0; var q1 = p0; var q2 = p0; var q3 = p0;
        for (nint i = 0; i < np; i += 64)
        {
            var b = Vector512.Load(a + i);
            p0 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i), b, p0);
            q0 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(z + i), b, q0);
            b = Vector512.Load(a + i + 16);
            p1 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 16), b, p1);
            q1 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(z + i + 16), b, q1);
            b = Vector512.Load(a + i + 32);
            p2 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 32), b, p2);
            q2 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(z + i + 32), b, q2);
            b = Vector512.Load(a + i + 48);
            p3 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x + i + 48), b, p3);
            q3 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(z + i + 48), b, q3);
        }
        y0 = Finish(p0, p1, p2, p3, x, a, np, k);
        y1 = Finish(q0, q1, q2, q3, z, a, np, k);
    }

    /// <summary>ggml_vec_dot_f16 of four consecutive weight rows (stride k) with one activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VecDot4(ushort* w, int k, float* a, float* y)
    {
        var np = k & ~63;
        ushort* x0 = w, x1 = w + k, x2 = w + 2 * k, x3 = w + 3 * k;
        var c00 = Vector512<float>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
        var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
        var c20 = c00; var c21 = c00; var c22 = c00; var c23 = c00;
        var c30 = c00; var c31 = c00; var c32 = c00; var c33 = c00;
        // Four row streams at once confuse the hardware prefetcher; the next four rows are one contiguous
        // region, so each 64-element step prefetches its 512-byte share of it, in order, into L2 (as
        // KQuantColumns does; L1 stays with the current rows): 15 -> 21 GB/s from DRAM on one core.
        var next = (byte*)(x0 + 4 * (nint)k);
        for (nint i = 0; i < np; i += 64)
        {
            var p = next + i * 8;
            Sse.Prefetch1(p); Sse.Prefetch1(p + 64); Sse.Prefetch1(p + 128); Sse.Prefetch1(p + 192);
            Sse.Prefetch1(p + 256); Sse.Prefetch1(p + 320); Sse.Prefetch1(p + 384); Sse.Prefetch1(p + 448);
            var b = Vector512.Load(a + i);
            c00 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x0 + i), b, c00);
            c10 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x1 + i), b, c10);
            c20 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x2 + i), b, c20);
            c30 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x3 + i), b, c30);
            b = Vector512.Load(a + i + 16);
            c01 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x0 + i + 16), b, c01);
            c11 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x1 + i + 16), b, c11);
            c21 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x2 + i + 16), b, c21);
            c31 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x3 + i + 16), b, c31);
            b = Vector512.Load(a + i + 32);
            c02 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x0 + i + 32), b, c02);
            c12 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x1 + i + 32), b, c12);
            c22 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x2 + i + 32), b, c22);
            c32 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x3 + i + 32), b, c32);
            b = Vector512.Load(a + i + 48);
            c03 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x0 + i + 48), b, c03);
            c13 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x1 + i + 48), b, c13);
            c23 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x2 + i + 48), b, c23);
            c33 = Avx512F.FusedMultiplyAdd(FloatFormats.ScaledHalves(x3 + i + 48), b, c33);
        }
        y[0] = Finish(c00, c01, c02, c03, x0, a, np, k);
        y[1] = Finish(c10, c11, c12, c13, x1, a, np, k);
        y[2] = Finish(c20, c21, c22, c23, x2, a, np, k);
        y[3] = Finish(c30, c31, c32, c33, x3, a, np, k);
    }

    /// <summary>
    /// The end of one row's ggml_vec_dot_f16 from its four accumulators: GGML_F32x16_REDUCE with GGML_F32_ARR 4 (x0 += x2,
    /// x1 += x3, then x0 += x1, then _mm512_reduce_add_ps), scaled back (<see cref="ResultScale"/>), then the leftovers
    /// past the last 64-step added in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3,
                                ushort* x, float* a, int np, int k)
    {
        double s = 0;
        if (np > 0) s = Reduce((c0 + c2) + (c1 + c3)) * ResultScale;
        var table = FloatFormats.HalfToFloatTable;
        for (var i = np; i < k; i++) s += table[x[i]] * (a[i] * (1 / ActivationScale));
        return (float)s;
    }

    // ---- conversions and the reduce ----

    /// <summary>_mm512_reduce_add_ps as GCC expands it (see <see cref="GgmlSums.ReduceAdd512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector512<float> v) => GgmlSums.ReduceAdd512(v.GetLower(), v.GetUpper());

    // ---- scalar twins: the same orders written out lane by lane ----

    /// <summary>tinyBLAS's order for one output: 16 lanes through k (a multiple of 16), then _mm512_reduce_add_ps.</summary>
    public static float TinyBlasScalar(ushort* w, float* a, int k)
    {
        var table = FloatFormats.HalfToFloatTable;
        var lanes = stackalloc float[16];
        for (var l = 0; l < 16; l++) lanes[l] = 0;
        for (var i = 0; i < k; i += 16)
            for (var l = 0; l < 16; l++) lanes[l] += table[w[i + l]] * a[i + l];
        return ReduceScalar(lanes);
    }

    /// <summary>ggml_vec_dot_f16's order for one output, lane by lane.</summary>
    public static float VecDotScalar(ushort* w, float* a, int k) => VecDotScalar(w, a, k, 1);

    /// <summary><see cref="VecDotScalar(ushort*, float*, int)"/> on activations stored times 1/<paramref name="aScale"/> (a power of two: exact).</summary>
    public static float VecDotScalar(ushort* w, float* a, int k, float aScale)
    {
        var table = FloatFormats.HalfToFloatTable;
        var np = k & ~63;
        double sum = 0;
        if (np > 0)
        {
            var acc = stackalloc float[64];
            for (var l = 0; l < 64; l++) acc[l] = 0;
            for (var i = 0; i < np; i += 64)
                for (var l = 0; l < 64; l++) acc[l] += table[w[i + l]] * (a[i + l] * aScale);
            for (var l = 0; l < 16; l++)
            {
                acc[l] += acc[32 + l];
                acc[16 + l] += acc[48 + l];
            }
            for (var l = 0; l < 16; l++) acc[l] += acc[16 + l];
            sum = ReduceScalar(acc);
        }
        for (var i = np; i < k; i++) sum += table[w[i]] * (a[i] * aScale);
        return (float)sum;
    }

    private static float ReduceScalar(float* v)
    {
        var t = stackalloc float[8];
        for (var i = 0; i < 8; i++) t[i] = v[i + 8] + v[i];
        float u0 = t[4] + t[0], u1 = t[5] + t[1], u2 = t[6] + t[2], u3 = t[7] + t[3];
        return (u0 + u2) + (u1 + u3);
    }
}
