using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpInfer.Models.Compute;

/// <summary>
/// The two summation orders ggml's AVX-512 CPU backend uses for the F16 products of attention,
/// reproduced to the bit: in the F16 KV-cache path q and the probabilities are rounded to F16, and a
/// last-bit difference in a score or an output decides how later values round to F16, which the
/// following layers amplify (3.6e-3 on stories260K with a plain float sum, see ReferenceTolerances).
/// Every product of two halves is exact in float, so only the order of the additions matters.
/// <list type="bullet">
/// <item><see cref="F16VecDot"/>: ggml_vec_dot_f16 (GGML_F16_STEP 64, four 16-lane accumulators,
/// GGML_F32x16_REDUCE, the rest added one by one in double).</item>
/// <item><see cref="F16TinyBlas"/>: llamafile's tinyBLAS&lt;16, __m512&gt; F16 kernel, which ggml's
/// mul_mat hands batches of two or more tokens when k is a multiple of 16: one 16-lane accumulator
/// per output walked through k, then _mm512_reduce_add_ps.</item>
/// </list>
/// Positions past <c>nValid</c> hold exact zeros in ggml (masked probabilities), so they are not visited.
/// The F32 twins (<see cref="F32VecDot"/>, <see cref="F32TinyBlas"/>) serve the F32 weight products.
/// Vector256 pairs stand for the 16 lanes (lo = 0–7, hi = 8–15); their lane-wise arithmetic is the
/// same on every machine, so these need no scalar twin.
/// </summary>
internal static unsafe class GgmlSums
{
    /// <summary>
    /// Leftovers of ggml_vec_dot_f32 (<c>sumf += x[i]*y[i]</c>) fused into an FMA, as GCC contracts
    /// them by default (-ffp-contract=fast in GNU modes) when the build targets FMA hardware.
    /// Measured: unfused leftovers (stories260K's ffn_down, k = 172) flip F16-cache values at two
    /// prompt positions (2.5e-4); fused, every position agrees to 8e-6.
    /// </summary>
    public static bool ContractF32Leftovers = true;

    /// <summary>ggml_vec_dot_f32 on AVX-512: GGML_F32_STEP 64 in four 16-lane FMA accumulators, GGML_F32x16_REDUCE, then the rest in float.</summary>
    public static float F32VecDot(float* x, float* y, int n)
    {
        var np = n & ~63;
        var lo0 = Vector256<float>.Zero; var hi0 = Vector256<float>.Zero;
        var lo1 = Vector256<float>.Zero; var hi1 = Vector256<float>.Zero;
        var lo2 = Vector256<float>.Zero; var hi2 = Vector256<float>.Zero;
        var lo3 = Vector256<float>.Zero; var hi3 = Vector256<float>.Zero;
        for (var i = 0; i < np; i += 64)
        {
            lo0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), lo0);
            hi0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), hi0);
            lo1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16), lo1);
            hi1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 24), Vector256.Load(y + i + 24), hi1);
            lo2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 32), Vector256.Load(y + i + 32), lo2);
            hi2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 40), Vector256.Load(y + i + 40), hi2);
            lo3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 48), Vector256.Load(y + i + 48), lo3);
            hi3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 56), Vector256.Load(y + i + 56), hi3);
        }
        lo0 += lo2; hi0 += hi2;
        lo1 += lo3; hi1 += hi3;
        lo0 += lo1; hi0 += hi1;
        var sum = ReduceAdd512(lo0, hi0);
        if (ContractF32Leftovers)
            for (var i = np; i < n; i++) sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        else
            for (var i = np; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>tinyBLAS&lt;16, __m512&gt; for F32: one 16-lane FMA accumulator through k (a multiple of 16), then _mm512_reduce_add_ps.</summary>
    public static float F32TinyBlas(float* x, float* y, int k)
    {
        var lo = Vector256<float>.Zero;
        var hi = Vector256<float>.Zero;
        for (var i = 0; i < k; i += 16)
        {
            lo = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(y + i), lo);
            hi = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), hi);
        }
        return ReduceAdd512(lo, hi);
    }

    /// <summary>
    /// dst[j] = <see cref="F32TinyBlas"/>(x + j·stride, y, k) for j &lt; count — attention's scores of one query against
    /// its keys, and its outputs (value rows against the probabilities) — four rows at a time: the shared vector's loads
    /// shared, four independent accumulator chains in flight instead of one, and the four _mm512_reduce_add_ps trees
    /// side by side (the same pairs added in the same order, so each row keeps its bits).
    /// </summary>
    public static void F32TinyBlasRows(float* x, long stride, float* y, int k, int count, float* dst)
    {
        int j = 0;
        for (; j + 4 <= count; j += 4, dst += 4)
        {
            float* x0 = x + j * stride, x1 = x0 + stride, x2 = x1 + stride, x3 = x2 + stride;
            var lo0 = Vector256<float>.Zero; var hi0 = lo0; var lo1 = lo0; var hi1 = lo0;
            var lo2 = lo0; var hi2 = lo0; var lo3 = lo0; var hi3 = lo0;
            for (var i = 0; i < k; i += 16)
            {
                var yl = Vector256.Load(y + i);
                var yh = Vector256.Load(y + i + 8);
                lo0 = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + i), yl, lo0); hi0 = Vector256.FusedMultiplyAdd(Vector256.Load(x0 + i + 8), yh, hi0);
                lo1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + i), yl, lo1); hi1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + i + 8), yh, hi1);
                lo2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + i), yl, lo2); hi2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + i + 8), yh, hi2);
                lo3 = Vector256.FusedMultiplyAdd(Vector256.Load(x3 + i), yl, lo3); hi3 = Vector256.FusedMultiplyAdd(Vector256.Load(x3 + i + 8), yh, hi3);
            }
            // ReduceAdd512's steps after t = hi + lo are hsum_float_8's: two rows' trees side by side
            (dst[0], dst[1]) = Numerics.Kernels.Simd256.HSumPair(hi0 + lo0, hi1 + lo1);
            (dst[2], dst[3]) = Numerics.Kernels.Simd256.HSumPair(hi2 + lo2, hi3 + lo3);
        }
        for (; j < count; j++) *dst++ = F32TinyBlas(x + j * stride, y, k);
    }

    /// <summary>ggml_vec_dot_f16 over a row of <paramref name="nRow"/> elements of which only the first <paramref name="nValid"/> can be non-zero.</summary>
    public static float F16VecDot(ushort* x, ushort* y, int nValid, int nRow) => VecDotF16Order<Halves>((byte*)x, (byte*)y, nValid, nRow);

    /// <summary>
    /// <see cref="F16VecDot"/> on halves already converted to float: the same lanes, additions and leftovers, so the
    /// same bits (a product of two halves is exact in float either way).
    /// </summary>
    public static float F16VecDotOnFloats(float* x, float* y, int nValid, int nRow) => VecDotF16Order<Floats>((byte*)x, (byte*)y, nValid, nRow);

    /// <summary>
    /// <see cref="F16VecDotOnFloats"/> where x and y both hold zeros from <paramref name="nValid"/> up to the next
    /// multiple of 64: the partly valid last block runs as a whole vector block. Same bits: its extra lanes add
    /// 0·0 = +0 where ggml adds +0, and a lane that starts at +0 never becomes −0 (x + y is −0 only when both are).
    /// </summary>
    public static float F16VecDotOnZeroPaddedFloats(float* x, float* y, int nValid, int nRow) =>
        VecDotF16Order<Floats>((byte*)x, (byte*)y, nValid, nRow, zeroPadded: true);

    /// <summary>The elements a dot product reads: halves (converted on the fly) or floats.</summary>
    private interface IElements
    {
        /// <summary>Adds the 16 products of elements [i, i + 16), lane by lane (lo = lanes 0–7, hi = 8–15).</summary>
        static abstract void Accumulate(byte* x, byte* y, int i, ref Vector256<float> lo, ref Vector256<float> hi);

        /// <summary>The (exact) product of element j of x and of y.</summary>
        static abstract float Product(byte* x, byte* y, int j);
    }

    private struct Halves : IElements
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate(byte* x, byte* y, int i, ref Vector256<float> lo, ref Vector256<float> hi) =>
            GgmlSums.Accumulate((ushort*)x + i, (ushort*)y + i, ref lo, ref hi);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Product(byte* x, byte* y, int j)
        {
            var t = FloatFormats.HalfToFloatTable;
            return t[((ushort*)x)[j]] * t[((ushort*)y)[j]];
        }
    }

    private struct Floats : IElements
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate(byte* x, byte* y, int i, ref Vector256<float> lo, ref Vector256<float> hi)
        {
            float* a = (float*)x + i, b = (float*)y + i;
            lo += Vector256.Load(a) * Vector256.Load(b);
            hi += Vector256.Load(a + 8) * Vector256.Load(b + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Product(byte* x, byte* y, int j) => ((float*)x)[j] * ((float*)y)[j];
    }

    /// <summary>ggml_vec_dot_f16's walk (GGML_F16_STEP 64, four 16-lane accumulators, GGML_F32x16_REDUCE, leftovers in double).</summary>
    private static float VecDotF16Order<T>(byte* x, byte* y, int nValid, int nRow, bool zeroPadded = false) where T : struct, IElements
    {
        var np = nRow & ~63;
        var vectorEnd = Math.Min(zeroPadded ? (nValid + 63) & ~63 : nValid, np);
        double sum = 0;
        if (vectorEnd > 0)
        {
            // sum[a] (16 lanes, as lo = lanes 0–7 and hi = lanes 8–15) takes elements i + 16a + lane.
            var lo0 = Vector256<float>.Zero; var hi0 = Vector256<float>.Zero;
            var lo1 = Vector256<float>.Zero; var hi1 = Vector256<float>.Zero;
            var lo2 = Vector256<float>.Zero; var hi2 = Vector256<float>.Zero;
            var lo3 = Vector256<float>.Zero; var hi3 = Vector256<float>.Zero;
            var i = 0;
            for (; i + 64 <= vectorEnd; i += 64)
            {
                T.Accumulate(x, y, i, ref lo0, ref hi0);
                T.Accumulate(x, y, i + 16, ref lo1, ref hi1);
                T.Accumulate(x, y, i + 32, ref lo2, ref hi2);
                T.Accumulate(x, y, i + 48, ref lo3, ref hi3);
            }
            if (i < vectorEnd)
            {
                // the last 64-block is only partly valid: the rest of it is zeros in ggml
                var lanes = stackalloc float[64];
                for (var j = 0; j < 64; j++) lanes[j] = 0;
                for (var j = i; j < vectorEnd; j++) lanes[j - i] = T.Product(x, y, j);
                lo0 += Vector256.Load(lanes); hi0 += Vector256.Load(lanes + 8);
                lo1 += Vector256.Load(lanes + 16); hi1 += Vector256.Load(lanes + 24);
                lo2 += Vector256.Load(lanes + 32); hi2 += Vector256.Load(lanes + 40);
                lo3 += Vector256.Load(lanes + 48); hi3 += Vector256.Load(lanes + 56);
            }
            // GGML_F32x16_REDUCE with GGML_F32_ARR 4: x0 += x2, x1 += x3, then x0 += x1
            lo0 += lo2; hi0 += hi2;
            lo1 += lo3; hi1 += hi3;
            lo0 += lo1; hi0 += hi1;
            sum = ReduceAdd512(lo0, hi0);
        }
        for (var j = np; j < nValid; j++) sum += T.Product(x, y, j);
        return (float)sum;
    }

    /// <summary>tinyBLAS&lt;16, __m512&gt;: one 16-lane accumulator through k (a multiple of 16 in ggml; only the first <paramref name="nValid"/> elements non-zero).</summary>
    public static float F16TinyBlas(ushort* x, ushort* y, int nValid)
    {
        var lo = Vector256<float>.Zero;
        var hi = Vector256<float>.Zero;
        var i = 0;
        for (; i + 16 <= nValid; i += 16) Accumulate(x + i, y + i, ref lo, ref hi);
        if (i < nValid)
        {
            var t = FloatFormats.HalfToFloatTable;
            var lanes = stackalloc float[16];
            for (var j = 0; j < 16; j++) lanes[j] = 0;
            for (var j = i; j < nValid; j++) lanes[j - i] = t[x[j]] * t[y[j]];
            lo += Vector256.Load(lanes);
            hi += Vector256.Load(lanes + 8);
        }
        return ReduceAdd512(lo, hi);
    }

    /// <summary>Adds 16 exact half·half products lane by lane (FMA and mul+add agree on an exact product).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ushort* x, ushort* y, ref Vector256<float> lo, ref Vector256<float> hi)
    {
        var xv = Vector256.Load(x);
        var yv = Vector256.Load(y);
        lo += DotKernels.HalfToFloat(Vector256.WidenLower(xv)) * DotKernels.HalfToFloat(Vector256.WidenLower(yv));
        hi += DotKernels.HalfToFloat(Vector256.WidenUpper(xv)) * DotKernels.HalfToFloat(Vector256.WidenUpper(yv));
    }

    /// <summary>
    /// _mm512_reduce_add_ps as GCC and Clang expand it: the upper 256 bits onto the lower, then the
    /// upper 128 onto the lower, then lanes (0+2) and (1+3), then those two.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReduceAdd512(Vector256<float> lo, Vector256<float> hi)
    {
        var t = hi + lo;
        var u = t.GetUpper() + t.GetLower();
        var w0 = u.GetElement(0) + u.GetElement(2);
        var w1 = u.GetElement(1) + u.GetElement(3);
        return w0 + w1;
    }
}
