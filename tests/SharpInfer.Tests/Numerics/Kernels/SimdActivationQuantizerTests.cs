using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Tests.Numerics.Kernels;

/// <summary>The vector activation quantizers must produce byte-identical blocks to the scalar ones.</summary>
public class SimdActivationQuantizerTests
{
    public static IEnumerable<object[]> Cases() =>
        from t in new[] { GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q4_K }
        from isa in CpuKernels.Available.Where(i => i != KernelIsa.Scalar)
        select new object[] { t, isa };

    [Theory]
    [MemberData(nameof(Cases))]
    public void VectorQuantizerIsBitIdenticalToScalar(GgmlType weightType, KernelIsa isa)
    {
        foreach (var x in Rows())
        {
            var scalar = new byte[VecDot.ActivationRowBytes(weightType, x.Length)];
            var vector = new byte[scalar.Length];
            VecDot.QuantizeActivationsWith(KernelIsa.Scalar, weightType, x, scalar);
            VecDot.QuantizeActivationsWith(isa, weightType, x, vector);
            Assert.Equal(scalar, vector);
        }
    }

    /// <summary>Random rows at several scales, plus rows built for ties (x·127/amax = k + ½), zero blocks and ±max ties.</summary>
    private static IEnumerable<float[]> Rows()
    {
        const int n = 1024;
        foreach (float scale in new[] { 1e-3f, 0.7f, 40f })
            for (int seed = 0; seed < 3; seed++)
                yield return QuantizationRoundTripTests.RandomRow(n, seed: seed + (int)(scale * 10), scale: scale);

        var rng = new Random(5);
        var ties = new float[n];
        for (int i = 0; i < n; i++) ties[i] = (i % 32 == 0) ? 127f : rng.Next(-254, 255) / 2f; // amax 127 → id = 1: halves are ties
        yield return ties;

        var zeros = QuantizationRoundTripTests.RandomRow(n, seed: 9);
        Array.Clear(zeros, 256, 256);
        yield return zeros;

        var signTie = QuantizationRoundTripTests.RandomRow(n, seed: 10);
        signTie[3] = -5f; signTie[200] = 5f;       // first occurrence of |max| is negative
        signTie[300] = 5f; signTie[301] = -5f;     // first occurrence positive
        yield return signTie;
    }
}
