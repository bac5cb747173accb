using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Tests.Numerics.Kernels;

public unsafe class MultiRowDotTests
{
    public static IEnumerable<object[]> Cases() =>
        (from t in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K }
         from isa in CpuKernels.Available.Where(i => i != KernelIsa.Scalar)
         select new object[] { t, isa })
        .Append([GgmlType.Q6_K, KernelIsa.Avx512]).Append([GgmlType.Q6_K, KernelIsa.Avx2]).Append([GgmlType.IQ4_XS, KernelIsa.Avx512])
        .Append([GgmlType.Q2_K, KernelIsa.Avx512]).Append([GgmlType.Q3_K, KernelIsa.Avx512]).Append([GgmlType.IQ4_NL, KernelIsa.Avx2])
        .Append([GgmlType.Q5_1, KernelIsa.Avx2]);

    /// <summary>Each row of a multi-row kernel must equal the single-row kernel of the same level bit for bit.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MultiRowKernelsEqualTheSingleRowKernel(GgmlType type, KernelIsa isa)
    {
        var multi = DotKernels.MultiRowFor(type, isa);
        Assert.True(multi != null, $"{type} has no multi-row kernel at {isa}");
        var single = DotKernels.For(type, isa);
        int block = GgmlTypeInfo.Get(type).BlockSize;
        foreach (int n in new[] { block, 3 * block, 17 * block })
        {
            var w = new byte[GgmlTypeInfo.Get(type).RowBytes(n)];
            Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(n, seed: n), w);
            int stride = VecDot.ActivationRowBytes(type, n) + 6; // padding: the stride is not the row size
            var a = new byte[stride * MultiRowDots.Rows];
            for (int j = 0; j < MultiRowDots.Rows; j++)
                VecDot.QuantizeActivations(type, QuantizationRoundTripTests.RandomRow(n, seed: 100 + j, scale: 1f), a.AsSpan(j * stride, stride - 6));
            var output = new float[3 * MultiRowDots.Rows];
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            fixed (float* po = output)
            {
                multi(pw, pa, stride, n, po + 1, 3);
                for (int j = 0; j < MultiRowDots.Rows; j++)
                {
                    float expected = single(pw, pa + j * stride, n);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(po[1 + 3 * j]),
                        $"{type} {isa} n={n} row {j}: {po[1 + 3 * j]} vs {expected}");
                }
            }
        }
    }

    /// <summary>The kernels the matmul actually takes on this CPU (<see cref="DotKernels.DefaultMultiRow"/>) against <see cref="DotKernels.Best"/>.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.Q5_1)]
    public void DefaultMultiRowKernelsEqualTheDefaultRowKernel(GgmlType type)
    {
        var multi = DotKernels.DefaultMultiRow(type, CpuKernels.Best);
        Assert.True(multi != null || CpuKernels.Best == KernelIsa.Scalar, $"{type} has no multi-row kernel on {CpuKernels.Best}");
        if (multi == null) return;
        var single = DotKernels.Best(type);
        int block = GgmlTypeInfo.Get(type).BlockSize;
        foreach (int n in new[] { block, 5 * block })
        {
            var w = new byte[GgmlTypeInfo.Get(type).RowBytes(n)];
            Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(n, seed: 2 * n), w);
            int stride = VecDot.ActivationRowBytes(type, n) + 2;
            var a = new byte[stride * MultiRowDots.Rows];
            for (int j = 0; j < MultiRowDots.Rows; j++)
                VecDot.QuantizeActivations(type, QuantizationRoundTripTests.RandomRow(n, seed: 300 + j, scale: 1f), a.AsSpan(j * stride, stride - 2));
            var output = new float[2 * MultiRowDots.Rows];
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            fixed (float* po = output)
            {
                multi(pw, pa, stride, n, po, 2);
                for (int j = 0; j < MultiRowDots.Rows; j++)
                {
                    float expected = single(pw, pa + j * stride, n);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(po[2 * j]), $"{type} n={n} row {j}: {po[2 * j]} vs {expected}");
                }
            }
        }
    }
}
