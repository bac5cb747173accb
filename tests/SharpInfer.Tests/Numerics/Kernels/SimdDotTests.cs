using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Numerics.Kernels;

/// <summary>Every vector dot kernel against its scalar twin, at every ISA level this CPU runs.</summary>
public class SimdDotTests(ITestOutputHelper output)
{
    private static readonly GgmlType[] QuantTypes =
    [
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.IQ4_NL,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS,
    ];

    public static IEnumerable<object[]> QuantCases() =>
        from t in QuantTypes from isa in VectorLevels() select new object[] { t, isa };

    public static IEnumerable<object[]> AllCases() =>
        from t in QuantTypes.Concat([GgmlType.F32, GgmlType.F16, GgmlType.BF16]) from isa in VectorLevels() select new object[] { t, isa };

    /// <summary>The vector levels; this machine is expected to run AVX-512, so AVX2 and AVX-512 are both exercised.</summary>
    private static IEnumerable<KernelIsa> VectorLevels() => CpuKernels.Available.Where(i => i != KernelIsa.Scalar);

    [Fact]
    public void ThisMachineRunsBothVectorLevels()
    {
        // The suite is meant to cover both vector paths; fail loudly rather than silently test only scalar.
        Assert.Contains(KernelIsa.Avx2, CpuKernels.Available);
        Assert.Contains(KernelIsa.Avx512, CpuKernels.Available);
        if (Environment.GetEnvironmentVariable("SHARPINFER_KERNELS") == null) Assert.Equal(KernelIsa.Avx512, CpuKernels.Best);
    }

    /// <summary>
    /// With every float scale set to 1 (and activations' Q8_1 sums small integers) all float arithmetic is on
    /// integers below 2²⁴, hence exact: the vector kernel must then return exactly the scalar result, which
    /// pins down every per-block integer sum.
    /// </summary>
    [Theory]
    [MemberData(nameof(QuantCases))]
    public void IntegerScaledBlocksGiveBitIdenticalResults(GgmlType type, KernelIsa isa)
    {
        bool k = GgmlTypeInfo.Get(type).BlockSize == 256;
        foreach (int n in k ? new[] { 256, 768 } : new[] { 32, 544 })
        {
            for (int seed = 0; seed < 4; seed++)
            {
                var (w, a) = IntegerScaledRows(type, n, seed);
                double absSum = AbsSum(type, w, a, n);
                Assert.True(absSum < 1 << 24, $"test data too large for exact float sums: {absSum}");
                float scalar = VecDot.DotWith(KernelIsa.Scalar, type, w, a, n);
                float vector = VecDot.DotWith(isa, type, w, a, n);
                Assert.True(scalar == vector, $"{type} {isa} n={n} seed={seed}: vector {vector} != scalar {scalar}");
            }
        }
    }

    /// <summary>
    /// On quantized random rows the two kernels form the same block terms and differ only in the order of float
    /// additions: each is within (n/32 + 8)·2⁻²⁴·Σ|wᵢaᵢ| of the exact sum of those terms, so they are within twice that.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCases))]
    public void RandomRowsAgreeUpToSummationOrder(GgmlType type, KernelIsa isa)
    {
        int n = GgmlTypeInfo.Get(type).BlockSize == 256 ? 2816 : 2080 + (type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 ? 7 : 0);
        for (int seed = 0; seed < 3; seed++)
        {
            var (w, a) = QuantizedRandomRows(type, n, 11 + seed, 77 + seed);
            double absSum = AbsSum(type, w, a, n);
            float scalar = VecDot.DotWith(KernelIsa.Scalar, type, w, a, n);
            float vector = VecDot.DotWith(isa, type, w, a, n);
            double bound = 2 * (n / 32 + 8) * Math.Pow(2, -24) * absSum;
            output.WriteLine($"{type} {isa} seed {seed}: scalar {scalar} vector {vector} diff {Math.Abs(scalar - vector):E2} bound {bound:E2}");
            Assert.True(Math.Abs(scalar - vector) <= bound, $"{type} {isa}: vector {vector} vs scalar {scalar} (bound {bound:E2})");
        }
    }

    /// <summary>
    /// The AVX-512 kernels of IQ4_XS, Q2_K and Q3_K keep the AVX2 kernels' int32 lanes, float lanes and FMA order (ggml's
    /// AVX2 code, which llama.cpp's AVX-512 builds run), so on random rows they give the AVX2 kernels' bits, not merely a
    /// close value.
    /// </summary>
    [Theory]
    [InlineData(GgmlType.IQ4_XS)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q3_K)]
    public void Avx512KernelEqualsTheAvx2KernelToTheBit(GgmlType type)
    {
        if (!CpuKernels.Available.Contains(KernelIsa.Avx512))
            throw new PlatformNotSupportedException("this test compares the AVX-512 kernel, and this CPU has no AVX-512");
        const int n = 2816;
        for (int seed = 0; seed < 8; seed++)
        {
            var (w, a) = QuantizedRandomRows(type, n, 5 + seed, 50 + seed);
            float avx2 = VecDot.DotWith(KernelIsa.Avx2, type, w, a, n);
            float avx512 = VecDot.DotWith(KernelIsa.Avx512, type, w, a, n);
            Assert.True(BitConverter.SingleToInt32Bits(avx2) == BitConverter.SingleToInt32Bits(avx512), $"{type} seed {seed}: AVX-512 {avx512} vs AVX2 {avx2}");
        }
    }

    /// <summary>A random weight row quantized to <paramref name="type"/> and a random activation row in its vec_dot type.</summary>
    private static (byte[] W, byte[] A) QuantizedRandomRows(GgmlType type, int n, int weightSeed, int activationSeed)
    {
        var w = new byte[GgmlTypeInfo.Get(type).RowBytes(n)];
        Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(n, seed: weightSeed, scale: 0.5f), w);
        var a = new byte[VecDot.ActivationRowBytes(type, n)];
        VecDot.QuantizeActivations(type, QuantizationRoundTripTests.RandomRow(n, seed: activationSeed, scale: 2f), a);
        return (w, a);
    }

    /// <summary>Σ|wᵢ·aᵢ| of the dequantized operands, in double.</summary>
    internal static double AbsSum(GgmlType type, byte[] w, byte[] a, int n)
    {
        var wd = new float[n];
        var ad = new float[n];
        Quantization.Dequantize(type, w, wd);
        Quantization.Dequantize(VecDot.ActivationType(type), a, ad);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.Abs((double)wd[i] * ad[i]);
        return s;
    }

    /// <summary>Random weight bytes with every float field = 1, and integer activations in a range that keeps sums below 2²⁴.</summary>
    internal static (byte[] W, byte[] A) IntegerScaledRows(GgmlType type, int n, int seed)
    {
        var rng = new Random(seed * 31 + (int)type);
        var info = GgmlTypeInfo.Get(type);
        var w = new byte[info.RowBytes(n)];
        rng.NextBytes(w);
        ushort one = Fp16.FromFloat(1f);
        int bb = info.BytesPerBlock;
        int[] halfOffsets = type switch
        {
            GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL or GgmlType.IQ4_XS => [0],
            GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
            GgmlType.Q2_K => [80, 82],
            GgmlType.Q3_K => [108],
            GgmlType.Q6_K => [208],
            _ => throw new ArgumentException(type.ToString()),
        };
        for (int b = 0; b < w.Length / bb; b++)
            foreach (int off in halfOffsets) BitConverter.TryWriteBytes(w.AsSpan(b * bb + off, 2), one);
        if (type == GgmlType.Q6_K) // keep the int8 sub-block scales small so one super-block stays below 2²⁴
            for (int b = 0; b < w.Length / bb; b++)
                for (int j = 0; j < 16; j++) w[b * bb + 192 + j] = (byte)(sbyte)rng.Next(-20, 21);

        var actType = VecDot.ActivationType(type);
        int limit = actType == GgmlType.Q8_K ? 31 : 127;
        var a = new byte[VecDot.ActivationRowBytes(type, n)];
        switch (actType)
        {
            case GgmlType.Q8_0:
                for (int b = 0; b < n / 32; b++)
                {
                    BitConverter.TryWriteBytes(a.AsSpan(b * 34, 2), one);
                    for (int j = 0; j < 32; j++) a[b * 34 + 2 + j] = (byte)(sbyte)rng.Next(-limit, limit + 1);
                }
                break;
            case GgmlType.Q8_1:
                for (int b = 0; b < n / 32; b++)
                {
                    BitConverter.TryWriteBytes(a.AsSpan(b * 36, 2), one);
                    BitConverter.TryWriteBytes(a.AsSpan(b * 36 + 2, 2), Fp16.FromFloat(rng.Next(-500, 500)));
                    for (int j = 0; j < 32; j++) a[b * 36 + 4 + j] = (byte)(sbyte)rng.Next(-limit, limit + 1);
                }
                break;
            case GgmlType.Q8_K:
                for (int b = 0; b < n / 256; b++)
                {
                    int o = b * 292;
                    BitConverter.TryWriteBytes(a.AsSpan(o, 4), 1f);
                    for (int j = 0; j < 256; j++) a[o + 4 + j] = (byte)(sbyte)rng.Next(-limit, limit + 1);
                    for (int g = 0; g < 16; g++)
                    {
                        int s = 0;
                        for (int j = 0; j < 16; j++) s += (sbyte)a[o + 4 + 16 * g + j];
                        BitConverter.TryWriteBytes(a.AsSpan(o + 260 + 2 * g, 2), (short)s);
                    }
                }
                break;
        }
        return (w, a);
    }
}
