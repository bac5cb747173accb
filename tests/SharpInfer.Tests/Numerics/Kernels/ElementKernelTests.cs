using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Tests.Numerics.Kernels;

/// <summary>Element-wise kernels: each vector level against the scalar twin, and the scalar twin against a double-precision expectation.</summary>
public class ElementKernelTests
{
    public static IEnumerable<object[]> VectorLevels() =>
        CpuKernels.Available.Where(i => i != KernelIsa.Scalar).Select(i => new object[] { i });

    private static float[] Row(int n, int seed, float scale) => QuantizationRoundTripTests.RandomRow(n, seed, scale);

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: {actual[i]:R} != {expected[i]:R}");
    }

    [Fact]
    public unsafe void FastExpLanesAreBitIdenticalToScalarAndWithinTwoUlpOfExp()
    {
        var xs = new List<float> { 0f, -0f, 1f, -1f, 88.3f, 88.5f, 89f, -87f, -103f, -104f, -110f, 200f, -200f, float.NegativeInfinity, 1e-30f };
        var rng = new Random(1);
        for (int i = 0; i < 4000; i++) xs.Add((float)(rng.NextDouble() * 220 - 120));
        while (xs.Count % 16 != 0) xs.Add(0.5f);
        var x = xs.ToArray();
        var scalar = x.Select(FastExp.Scalar).ToArray();
        fixed (float* px = x)
        {
            for (int i = 0; i < x.Length; i += 16)
            {
                var v512 = FastExp.V512(System.Runtime.Intrinsics.Vector512.Load(px + i));
                var v256a = FastExp.V256(System.Runtime.Intrinsics.Vector256.Load(px + i));
                var v256b = FastExp.V256(System.Runtime.Intrinsics.Vector256.Load(px + i + 8));
                for (int l = 0; l < 16; l++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar[i + l]), BitConverter.SingleToInt32Bits(v512[l]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar[i + l]), BitConverter.SingleToInt32Bits(l < 8 ? v256a[l] : v256b[l - 8]));
                }
            }
        }
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            if (exact > float.MaxValue) { Assert.True(x[i] > 88.3f && float.IsPositiveInfinity(scalar[i]), $"exp({x[i]}) = {scalar[i]}"); continue; }
            if (exact < 1.2e-38) continue; // subnormal range: ggml flushes towards zero there
            double ulp = Math.Pow(2, Math.Floor(Math.Log2(exact)) - 23);
            Assert.True(Math.Abs(scalar[i] - exact) <= 2 * ulp, $"exp({x[i]}): {scalar[i]} vs {exact} ({Math.Abs(scalar[i] - exact) / ulp:F2} ulp)");
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void SiluAndSwiGluMatchScalarBitForBitAndTheFormula(KernelIsa isa)
    {
        const int n = 1000 + 13;
        var x = Row(n, 3, 4f);
        var g = Row(n, 4, 1f);
        var s = new float[n]; var v = new float[n];
        Activations.SiluWith(KernelIsa.Scalar, x, s);
        Activations.SiluWith(isa, x, v);
        AssertBitIdentical(s, v, "silu");
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(s[i] - x[i] / (1 + Math.Exp(-x[i]))) <= 1e-6 * Math.Abs(x[i]) + 1e-30, $"silu({x[i]}) = {s[i]}");

        Activations.SwiGluWith(KernelIsa.Scalar, x, g, s);
        Activations.SwiGluWith(isa, x, g, v);
        AssertBitIdentical(s, v, "swiglu");
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(s[i] - x[i] / (1 + Math.Exp(-x[i])) * g[i]) <= 1e-6 * Math.Abs(x[i] * g[i]) + 1e-30);
    }

    /// <summary>Vector and scalar differ only in the order of the double sum of squares, so y agrees to ≤ 1 ulp; both match the formula.</summary>
    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void RmsNormMatchesScalarAndTheFormula(KernelIsa isa)
    {
        foreach (int n in new[] { 7, 64, 2048 + 5 })
        {
            var x = Row(n, n, 2f);
            var s = new float[n]; var v = new float[n];
            RmsNorm.ApplyWith(KernelIsa.Scalar, x, s, 1e-5f);
            RmsNorm.ApplyWith(isa, x, v, 1e-5f);
            double ms = 0;
            foreach (float f in x) ms += (double)f * f;
            double scale = 1 / Math.Sqrt(ms / n + 1e-5);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(s[i] - v[i]) <= Math.Pow(2, -23) * Math.Abs(s[i]), $"n={n} [{i}]: {v[i]} vs {s[i]}");
                Assert.True(Math.Abs(s[i] - x[i] * scale) <= 3e-7 * Math.Abs(x[i] * scale) + 1e-30, $"n={n} [{i}]: {s[i]} vs {x[i] * scale}");
            }
        }
    }

    /// <summary>Identical exps; the sums differ in float summation order (≤ 16·2⁻²⁴ relative), so every y within 20·2⁻²⁴ relative.</summary>
    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void SoftmaxMatchesScalarWithinTheSummationBoundAndTheFormula(KernelIsa isa)
    {
        foreach (int n in new[] { 5, 32, 1000 + 3 })
        {
            var x = Row(n, 10 + n, 3f);
            var mask = new float[n];
            for (int i = 0; i < n; i++) mask[i] = i % 7 == 3 ? float.NegativeInfinity : (i % 5) * 0.25f;
            foreach (bool masked in new[] { false, true })
            {
                var m = masked ? mask : [];
                var s = new float[n]; var v = new float[n];
                Softmax.ApplyWith(KernelIsa.Scalar, x, s, 0.125f, m, 1f);
                Softmax.ApplyWith(isa, x, v, 0.125f, m, 1f);
                var w = new double[n];
                double max = double.NegativeInfinity, sum = 0;
                for (int i = 0; i < n; i++) { w[i] = (double)(x[i] * 0.125f) + (masked ? mask[i] : 0); max = Math.Max(max, w[i]); }
                for (int i = 0; i < n; i++) sum += Math.Exp(w[i] - max);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(Math.Abs(s[i] - v[i]) <= 20 * Math.Pow(2, -24) * s[i], $"n={n} masked={masked} [{i}]: {v[i]} vs {s[i]}");
                    double expect = Math.Exp(w[i] - max) / sum;
                    Assert.True(Math.Abs(s[i] - expect) <= 1e-6 * expect + 1e-12, $"n={n} [{i}]: {s[i]} vs {expect}");
                }
                if (masked) Assert.Equal(0f, s[3]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void RopeIsBitIdenticalToScalarAndRotatesByThetaScalePowers(KernelIsa isa)
    {
        const int headDim = 128;
        foreach (int nDims in new[] { 128, 64, 36 })
        {
            var cos = new float[nDims / 2]; var sin = new float[nDims / 2];
            Rope.Cache(37f, nDims, 10000f, 1f, 0f, 1f, 0f, 0f, [], cos, sin);
            for (int i = 0; i < nDims / 2; i++)
            {
                double theta = 37 * Math.Pow(10000, -2.0 * i / nDims);
                Assert.True(Math.Abs(cos[i] - Math.Cos(theta)) < 2e-4 && Math.Abs(sin[i] - Math.Sin(theta)) < 2e-4, $"pair {i}: theta {theta}");
            }
            var x = Row(headDim, nDims, 1f);
            foreach (bool neox in new[] { false, true })
            {
                var s = new float[headDim]; var v = new float[headDim];
                Rope.ApplyWith(KernelIsa.Scalar, neox, x, s, nDims, cos, sin);
                Rope.ApplyWith(isa, neox, x, v, nDims, cos, sin);
                AssertBitIdentical(s, v, $"rope neox={neox} nDims={nDims}");
                for (int i = 0; i < nDims / 2; i++)
                {
                    int a = neox ? i : 2 * i, b = neox ? i + nDims / 2 : 2 * i + 1;
                    double tol = 2.5e-7 * (Math.Abs(x[a]) + Math.Abs(x[b])); // two float products and one add, each ≤ ½ ulp
                    Assert.True(Math.Abs((double)x[a] * cos[i] - (double)x[b] * sin[i] - s[a]) <= tol, $"pair {i} first");
                    Assert.True(Math.Abs((double)x[a] * sin[i] + (double)x[b] * cos[i] - s[b]) <= tol, $"pair {i} second");
                }
                for (int i = nDims; i < headDim; i++) Assert.Equal(x[i], s[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void AddMulScaleAreBitIdentical(KernelIsa isa)
    {
        const int n = 100 + 27;
        var a = Row(n, 1, 1f); var b = Row(n, 2, 1f);
        foreach (bool mul in new[] { false, true })
        {
            var s = new float[n]; var v = new float[n];
            ElementWise.BinaryWith(KernelIsa.Scalar, a, b, s, mul);
            ElementWise.BinaryWith(isa, a, b, v, mul);
            AssertBitIdentical(s, v, mul ? "mul" : "add");
            for (int i = 0; i < n; i++) Assert.Equal(mul ? a[i] * b[i] : a[i] + b[i], s[i]);
        }
    }

    [Theory]
    [MemberData(nameof(VectorLevels))]
    public void HalfConversionsAreBitIdenticalToSystemHalf(KernelIsa isa)
    {
        // every half → single
        var all = new ushort[65536];
        for (int i = 0; i < all.Length; i++) all[i] = (ushort)i;
        var f = new float[all.Length];
        RowConvert.ToSingleWith(isa, all, f);
        for (int i = 0; i < all.Length; i++)
        {
            float expected = Fp16.ToFloat(all[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(f[i]), $"half {i:X4}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(f[i]));
        }

        // single → half: random bit patterns, every half's exact value and the midpoints between neighbours (ties)
        var rng = new Random(7);
        var xs = new List<float>();
        for (int i = 0; i < 20000; i++) xs.Add(BitConverter.Int32BitsToSingle(rng.Next() ^ (rng.Next(2) << 31)));
        for (int i = 0; i < 65535; i++)
        {
            float lo = Fp16.ToFloat((ushort)i), hi = Fp16.ToFloat((ushort)(i + 1));
            if (float.IsFinite(lo)) xs.Add(lo);
            if (float.IsFinite(lo) && float.IsFinite(hi) && i != 0x7bff && i != 0xfbff && i != 0x7fff) xs.Add((float)(((double)lo + hi) / 2));
        }
        xs.AddRange([65504f, 65519.99f, 65520f, 1e6f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 5.96e-8f, 2.98e-8f, 2.99e-8f, -0f]);
        var x = xs.ToArray();
        var h = new ushort[x.Length];
        RowConvert.ToHalfWith(isa, x, h);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Fp16.FromFloat(x[i]) == h[i], $"{x[i]:R} ({BitConverter.SingleToInt32Bits(x[i]):X8}): {h[i]:X4} vs System.Half {Fp16.FromFloat(x[i]):X4}");
    }
}
