using SharpInfer.Models;
using SharpInfer.Models.Compute;

namespace SharpInfer.Tests.Models.Compute;

/// <summary>The forward pass's own kernels against independent expectations.</summary>
public sealed unsafe class KernelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(64)]
    [InlineData(172)]
    [InlineData(4097)]
    public void VectorDotsAgreeWithTheirScalarTwinsAndWithDouble(int n)
    {
        var rng = new Random(n);
        var x = new float[n];
        var y = new float[n];
        var xb = new ushort[n];
        var yb = new ushort[n];
        var xh = new ushort[n];
        var yh = new ushort[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = (float)(rng.NextDouble() * 2 - 1);
            xb[i] = FloatFormats.FloatToBFloat16(x[i]);
            yb[i] = FloatFormats.FloatToBFloat16(y[i]);
            xh[i] = FloatFormats.FloatToHalf(x[i]);
            yh[i] = FloatFormats.FloatToHalf(y[i]);
        }
        double exact = 0, exactBf = 0, exactH = 0, sumAbs = 0;
        for (var i = 0; i < n; i++)
        {
            exact += (double)x[i] * y[i];
            exactBf += (double)FloatFormats.BFloat16ToFloat(xb[i]) * FloatFormats.BFloat16ToFloat(yb[i]);
            exactH += (double)FloatFormats.HalfToFloat(xh[i]) * FloatFormats.HalfToFloat(yh[i]);
            sumAbs += Math.Abs((double)x[i] * y[i]);
        }
        // float summation: error ≤ n·ε·Σ|xᵢyᵢ| (loose worst case)
        var bound = n * 6e-8 * sumAbs + 1e-30;
        fixed (float* px = x, py = y)
        fixed (ushort* bx = xb, by = yb, hx = xh, hy = yh)
        {
            Assert.InRange(DotKernels.F16(hx, hy, n) - exactH, -bound, bound);
            Assert.InRange(DotKernels.F16Scalar(hx, hy, n) - exactH, -bound, bound);
            Assert.InRange(DotKernels.F32(px, py, n) - exact, -bound, bound);
            Assert.InRange(DotKernels.F32Scalar(px, py, n) - exact, -bound, bound);
            Assert.InRange(DotKernels.BF16(bx, by, n) - exactBf, -bound, bound);
            Assert.InRange(DotKernels.BF16Scalar(bx, by, n) - exactBf, -bound, bound);
        }
    }

    [Fact]
    public void VectorHalfToFloatIsExactForEveryHalf()
    {
        var halves = new uint[8];
        for (var h = 0; h < 65536; h += 8)
        {
            for (var l = 0; l < 8; l++) halves[l] = (uint)(h + l);
            var f = DotKernels.HalfToFloat(System.Runtime.Intrinsics.Vector256.Create(halves));
            for (var l = 0; l < 8; l++)
            {
                var expected = (float)BitConverter.UInt16BitsToHalf((ushort)(h + l));
                if (float.IsNaN(expected)) Assert.True(float.IsNaN(f[l]));
                else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(f[l]));
            }
        }
    }

    [Fact]
    public void HalfAndBFloat16RoundToNearestEven()
    {
        Assert.Equal(0x3C00, FloatFormats.FloatToHalf(1.0f));
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to even (1.0)
        Assert.Equal(0x3C00, FloatFormats.FloatToHalf(1.0f + MathF.Pow(2, -11)));
        Assert.Equal(0x3C02, FloatFormats.FloatToHalf(1.0f + 3 * MathF.Pow(2, -11)));
        Assert.Equal(0x3F80, FloatFormats.FloatToBFloat16(1.0f));
        Assert.Equal(0x3F80, FloatFormats.FloatToBFloat16(BitConverter.Int32BitsToSingle(0x3F808000))); // tie → even
        Assert.Equal(0x3F82, FloatFormats.FloatToBFloat16(BitConverter.Int32BitsToSingle(0x3F818000))); // tie → even (up)
        Assert.Equal(1.5f, FloatFormats.HalfToFloat(0x3E00));
    }

    [Fact]
    public void GgmlVectorExpIsWithinTwoUlpOfExp()
    {
        foreach (var avx512 in new[] { true, false })
        {
            for (var x = -87f; x < 88f; x += 0.0137f)
            {
                var expected = MathF.Exp(x);
                var actual = avx512 ? GgmlExp.ExpAvx512(x) : GgmlExp.ExpAvx2(x);
                var ulp = MathF.BitIncrement(expected) - expected;
                Assert.True(MathF.Abs(actual - expected) <= 2 * ulp, $"exp({x}) = {actual}, expected {expected}");
            }
            Assert.Equal(0f, avx512 ? GgmlExp.ExpAvx512(float.NegativeInfinity) : GgmlExp.ExpAvx2(float.NegativeInfinity));
            Assert.Equal(1f, avx512 ? GgmlExp.ExpAvx512(0f) : GgmlExp.ExpAvx2(0f));
        }
    }

    /// <summary>
    /// The vector forms of ggml_v_expf (softmax's exp, SwiGLU) give the bits of the scalar lanes (<see cref="GgmlExp.ExpAvx512(float)"/>,
    /// <see cref="GgmlExp.ExpAvx2(float)"/>) for every input class: ordinary, overflowing, subnormal results, flushed to
    /// zero, infinities and NaN.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void VectorExpGivesTheScalarLanesBits(bool avx512)
    {
        bool vector = avx512 ? System.Runtime.Intrinsics.X86.Avx512F.IsSupported : System.Runtime.Intrinsics.X86.Fma.IsSupported;
        if (!vector) output.WriteLine($"{(avx512 ? "AVX-512" : "AVX2+FMA")} not on this CPU: the vector form is not run, only its scalar fallback");
        var rng = new Random(avx512 ? 11 : 12);
        var x = new float[4096];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 240 - 140); // up to 2^±140: overflow, subnormals, zero
        float[] specials = [0f, -0f, 88.72f, 88.73f, 89f, -87.3f, -103.9f, -126.5f, -149f, -150f, -200f, 200f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, -1e-30f];
        specials.CopyTo(x, 0);
        const float shift = 0.75f;
        var exp = (float[])x.Clone();
        var silu = new float[x.Length];
        var up = new float[x.Length];
        for (var i = 0; i < up.Length; i++) up[i] = (float)(rng.NextDouble() * 4 - 2);
        fixed (float* pe = exp) GgmlExp.ExpInPlace(pe, exp.Length, shift, avx512);
        fixed (float* px = x) fixed (float* pu = up) fixed (float* ps = silu) GgmlExp.SwiGlu(px, pu, ps, x.Length, avx512);
        for (var i = 0; i < x.Length; i++)
        {
            var e = avx512 ? GgmlExp.ExpAvx512(x[i] - shift) : GgmlExp.ExpAvx2(x[i] - shift);
            var g = x[i] / (1.0f + (avx512 ? GgmlExp.ExpAvx512(0.0f - x[i]) : GgmlExp.ExpAvx2(0.0f - x[i]))) * up[i];
            Assert.True(SameBits(e, exp[i]), $"exp({x[i]} - {shift}): vector {exp[i]}, scalar {e}");
            Assert.True(SameBits(g, silu[i]), $"silu({x[i]})·{up[i]}: vector {silu[i]}, scalar {g}");
        }

        static bool SameBits(float a, float b) => float.IsNaN(a) ? float.IsNaN(b) : BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
    }

    [Fact]
    public void RmsNormMatchesTheFormula()
    {
        float[] x = [1, -2, 3, 4];
        float[] w = [1, 0.5f, 2, 1];
        var y = new float[4];
        RmsNorm.Apply(x, w, 1e-5f, y);
        var scale = 1 / Math.Sqrt((1 + 4 + 9 + 16) / 4.0 + 1e-5);
        for (var i = 0; i < 4; i++) Assert.Equal(x[i] * scale * w[i], y[i], 1e-6);
    }

    [Theory]
    [InlineData(RopeStyle.Normal)]
    [InlineData(RopeStyle.NeoX)]
    public void RopeRotatesThePairsItsStyleNames(RopeStyle style)
    {
        const int n = 8, pos = 7;
        const float freqBase = 10000f, freqScale = 0.5f;
        float[] factors = [1, 2, 4, 8];
        var rope = new Rope(n, style, freqBase, freqScale, factors);
        rope.SetPosition(pos);
        var head = new float[n + 2];
        for (var i = 0; i < head.Length; i++) head[i] = i + 1;
        var original = head.ToArray();
        rope.Apply(head.AsSpan(0, n + 2));
        for (var p = 0; p < n / 2; p++)
        {
            var theta = freqScale * pos * Math.Pow(freqBase, -2.0 * p / n) / factors[p];
            var (a, b) = style == RopeStyle.Normal ? (2 * p, 2 * p + 1) : (p, p + n / 2);
            Assert.Equal(original[a] * Math.Cos(theta) - original[b] * Math.Sin(theta), head[a], 1e-4);
            Assert.Equal(original[a] * Math.Sin(theta) + original[b] * Math.Cos(theta), head[b], 1e-4);
        }
        Assert.Equal(original[n], head[n]); // beyond n_rot: untouched
        Assert.Equal(original[n + 1], head[n + 1]);
    }

    [Fact]
    public void WorkerPoolSharesCoverEveryItemOnce()
    {
        foreach (var (count, parts, grain) in new[] { (100, 3, 16), (5, 8, 1), (512, 2, 16), (17, 4, 4) })
        {
            var next = 0;
            for (var p = 0; p < parts; p++)
            {
                var (s, e) = ParallelWork.Share(count, p, parts, grain);
                Assert.Equal(next, s);
                Assert.True(s == e || s % grain == 0);
                next = e;
            }
            Assert.Equal(count, next);
        }
    }
}
