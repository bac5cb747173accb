using SharpInfer.Models.Compute;

namespace SharpInfer.Tests.Models.Compute;

/// <summary>
/// F16MatMul against GgmlSums (itself held to a scalar transcription of ggml's loops in
/// GgmlSumsTests), bit for bit: tinyBLAS's order where llamafile's sgemm would take the product,
/// ggml_vec_dot_f16's otherwise, for any split of the rows over threads.
/// </summary>
public sealed unsafe class F16MatMulTests
{
    private static ushort RandomHalf(Random rng, double scale) =>
        rng.Next(20) switch
        {
            0 => 0,
            1 => (ushort)0x8000,                                   // −0
            2 => (ushort)(rng.Next(1, 0x400) | (rng.Next(2) << 15)), // subnormal
            _ => FloatFormats.FloatToHalf((float)((rng.NextDouble() * 2 - 1) * scale)),
        };

    private static ushort[] RandomHalves(Random rng, int count, double scale)
    {
        var h = new ushort[count];
        for (var i = 0; i < h.Length; i++) h[i] = RandomHalf(rng, scale);
        return h;
    }

    /// <summary>What ggml computes for output [t, r]: the order its mul_mat picks for the shape.</summary>
    private static float[] Expected(ushort[] w, ushort[] act, int m, int k, int n)
    {
        var y = new float[n * m];
        var tinyBlas = n >= 2 && k % 16 == 0 && m % 4 == 0;
        fixed (ushort* wp = w, ap = act)
            for (var t = 0; t < n; t++)
                for (var r = 0; r < m; r++)
                    y[t * m + r] = tinyBlas
                        ? GgmlSums.F16TinyBlas(wp + (long)r * k, ap + (long)t * k, k)
                        : GgmlSums.F16VecDot(wp + (long)r * k, ap + (long)t * k, k, k);
        return y;
    }

    /// <summary>F16MatMul with the rows split into the given shares, as the Runner's threads take them.</summary>
    private static float[] Actual(ushort[] w, ushort[] act, int m, int k, int n, int[] splits)
    {
        var y = new float[n * m];
        var prepared = new float[n * k];
        var scratch = new float[F16MatMul.ScratchFloats(k)];
        fixed (ushort* wp = w, ap = act)
        fixed (float* pp = prepared, sp = scratch, yp = y)
        {
            F16MatMul.PrepareActivations(ap, pp, n, k, m);
            var r0 = 0;
            foreach (var split in splits.Append(m))
            {
                var r1 = Math.Min(split, m);
                if (r1 <= r0) continue;
                var finite = F16MatMul.RowsAreFinite(wp, k, r0, r1);
                F16MatMul.MultiplyRows(wp, m, k, pp, n, yp, r0, r1, sp, finite);
                r0 = r1;
            }
        }
        return y;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: output {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Theory]
    [InlineData(4, 16, 2)]
    [InlineData(16, 64, 4)]
    [InlineData(37, 64, 5)]     // rows not a multiple of 4: vec_dot order for the batch
    [InlineData(36, 48, 3)]     // k a multiple of 16, not of 64
    [InlineData(20, 272, 5)]    // tile remainder of 4 rows, n not a multiple of 4
    [InlineData(52, 512, 8)]
    [InlineData(24, 100, 2)]    // k not a multiple of 16: vec_dot order with double leftovers
    [InlineData(13, 40, 1)]     // below one 64-step: leftovers only
    [InlineData(33, 200, 1)]
    [InlineData(64, 1024, 1)]
    [InlineData(19, 1000, 3)]
    [InlineData(40, 256, 1)]
    [InlineData(11, 4160, 1)]   // one token past F16MatMul.SingleRowMaxK: four rows at a time, then a pair and one
    public void MatchesGgmlsOrderBitForBitForAnyRowSplit(int m, int k, int n)
    {
        var rng = new Random(m * 7919 + k * 31 + n);
        var w = RandomHalves(rng, m * k, 2);
        var act = RandomHalves(rng, n * k, 8);
        var expected = Expected(w, act, m, k, n);
        AssertSameBits(expected, Actual(w, act, m, k, n, []), "one thread");
        AssertSameBits(expected, Actual(w, act, m, k, n, [m / 2]), "two shares");
        AssertSameBits(expected, Actual(w, act, m, k, n, [16, 17, 23]), "odd shares");
    }

    [Theory]
    [InlineData(8, 64, 1)]
    [InlineData(8, 64, 4)]
    [InlineData(9, 80, 1)]
    [InlineData(12, 96, 3)]
    public void InfinitiesAndNaNsInWeightsOrActivationsGiveGgmlsResults(int m, int k, int n)
    {
        var rng = new Random(m + k + n);
        var w = RandomHalves(rng, m * k, 1);
        var act = RandomHalves(rng, n * k, 1);
        w[1 * k + 5] = 0x7c00;          // +inf
        w[2 * k + k - 1] = 0xfc00;      // −inf in the last element (leftovers when k % 64 ≠ 0)
        w[3 * k + 17] = 0x7e01;         // NaN
        w[4 * k + 3] = 0x7c00;          // inf against a zero activation: NaN
        act[3] = 0;
        act[(n - 1) * k + 9] = 0xfc00;  // −inf activation
        var expected = Expected(w, act, m, k, n);
        AssertSameBits(expected, Actual(w, act, m, k, n, []), "one thread");
        AssertSameBits(expected, Actual(w, act, m, k, n, [4]), "two shares");
        Assert.Contains(expected, float.IsInfinity);
        Assert.Contains(expected, float.IsNaN);
    }

    [Fact]
    public void RowsAreFiniteFindsEveryInfinityAndNaN()
    {
        const int k = 100;
        var w = RandomHalves(new Random(5), 6 * k, 1);
        fixed (ushort* wp = w)
        {
            Assert.True(F16MatMul.RowsAreFinite(wp, k, 0, 6));
            foreach (var bad in new ushort[] { 0x7c00, 0xfc00, 0x7c01, 0xffff, 0x7fff })
            foreach (var at in new[] { 0, 31, 32, 4 * k + 99 })
            {
                var keep = wp[at];
                wp[at] = bad;
                Assert.False(F16MatMul.RowsAreFinite(wp, k, 0, 6), $"0x{bad:x4} at {at}");
                Assert.Equal(at >= k, F16MatMul.RowsAreFinite(wp, k, 0, 1));
                wp[at] = keep;
            }
            wp[7] = 0x7bff; // the largest finite half
            Assert.True(F16MatMul.RowsAreFinite(wp, k, 0, 6));
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(1000)]
    public void ScalarTwinsGiveTheVectorKernelsBits(int k)
    {
        var rng = new Random(k);
        var w = RandomHalves(rng, k, 4);
        var act = RandomHalves(rng, k, 4);
        var a = new float[k];
        for (var i = 0; i < k; i++) a[i] = FloatFormats.HalfToFloat(act[i]);
        fixed (ushort* wp = w, ap = act)
        fixed (float* fp = a)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(GgmlSums.F16VecDot(wp, ap, k, k)), BitConverter.SingleToInt32Bits(F16MatMul.VecDotScalar(wp, fp, k)));
            if (k % 16 == 0)
                Assert.Equal(BitConverter.SingleToInt32Bits(GgmlSums.F16TinyBlas(wp, ap, k)), BitConverter.SingleToInt32Bits(F16MatMul.TinyBlasScalar(wp, fp, k)));
        }
    }

    [Fact]
    public void HalfToFloatIsExactForEveryHalf()
    {
        var all = new ushort[65536 + 5];
        for (var i = 0; i < all.Length; i++) all[i] = (ushort)i;
        var f = new float[all.Length];
        fixed (ushort* h = all)
        fixed (float* fp = f)
            FloatFormats.HalfToFloat(h, fp, all.Length);
        for (var i = 0; i < all.Length; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf(all[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(f[i]), $"0x{all[i]:x4}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(f[i]));
        }
    }

    [Fact]
    public void VectorFloatToHalfRoundsLikeTheScalarConversion()
    {
        // every rounding boundary region: all exponents, mantissas near the half's rounding points, ties, specials
        var values = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
            65504f, 65519.99f, 65520f, 65536f, -65520f, 6.1035156e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f,
            float.Epsilon, float.MaxValue, float.MinValue, BitConverter.Int32BitsToSingle(0x7f800001), BitConverter.Int32BitsToSingle(0x7fc00123) };
        var rng = new Random(17);
        for (var e = 90; e < 160; e++)
            for (var j = 0; j < 64; j++)
            {
                var mant = rng.Next(1 << 23);
                if (j % 4 == 0) mant = (mant & ~0x1fff) | 0x1000;     // a tie at the half's precision
                if (j % 4 == 1) mant = (mant & ~0x1fff) | 0x0fff;     // just below a tie
                var bits = (e << 23) | mant | (rng.Next(2) << 31);
                values.Add(BitConverter.Int32BitsToSingle(bits));
            }
        for (var j = 0; j < 20000; j++) values.Add(BitConverter.Int32BitsToSingle(rng.Next() | (rng.Next(2) << 31)));
        var src = values.ToArray();
        var dst = new ushort[src.Length];
        FloatFormats.FloatToHalf(src, dst);
        for (var i = 0; i < src.Length; i++)
        {
            var expected = FloatFormats.FloatToHalf(src[i]);
            if (float.IsNaN(src[i]))
                Assert.True((dst[i] & 0x7c00) == 0x7c00 && (dst[i] & 0x3ff) != 0, $"NaN 0x{BitConverter.SingleToInt32Bits(src[i]):x8} -> 0x{dst[i]:x4}");
            else
                Assert.True(expected == dst[i], $"{src[i]:R} (0x{BitConverter.SingleToInt32Bits(src[i]):x8}): expected 0x{expected:x4}, got 0x{dst[i]:x4}");
        }
    }
}
