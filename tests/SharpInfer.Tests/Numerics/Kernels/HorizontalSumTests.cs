using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Tests.Numerics.Kernels;

/// <summary>
/// The two-at-a-time horizontal sums the generation kernels use must give <see cref="Simd256.HSum"/>'s bits (ggml's
/// hsum_float_8) for each vector: random lanes of mixed magnitudes (so the order of additions shows in the last bits),
/// and infinities, NaNs, and signed zeros. A NaN result only has to be a NaN: which operand's payload an addition passes
/// on depends on the operand order, which the JIT (like ggml's C compiler) may swap for any addition.
/// </summary>
public sealed class HorizontalSumTests
{
    private static readonly float[] Specials =
    [
        float.PositiveInfinity, float.NegativeInfinity, -0f, 0f,
        BitConverter.Int32BitsToSingle(0x7fc00001), BitConverter.Int32BitsToSingle(unchecked((int)0xffc00abc)),
        float.MaxValue, -float.MaxValue, float.Epsilon,
    ];

    private static bool Same(float expected, float actual) =>
        float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual);

    [Fact]
    public void PairedSumsGiveEachVectorsHSumBits()
    {
        Assert.True(Avx.IsSupported, "the 256-bit sums need AVX; every machine SharpInfer's vector kernels run on has it");
        var rng = new Random(17);
        float Lane()
        {
            if (rng.Next(8) == 0) return Specials[rng.Next(Specials.Length)];
            return (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-8, 9)));
        }
        Vector256<float> Random8() => Vector256.Create(Lane(), Lane(), Lane(), Lane(), Lane(), Lane(), Lane(), Lane());
        for (int i = 0; i < 20000; i++)
        {
            Vector256<float> a = Random8(), b = Random8();
            var (pa, pb) = Simd256.HSumPair(a, b);
            var (ua, ub) = Simd256.HSum2(Vector256.Create(a.GetUpper(), b.GetUpper()), Vector256.Create(a.GetLower(), b.GetLower()));
            float ea = Simd256.HSum(a), eb = Simd256.HSum(b);
            Assert.True(Same(ea, pa) && Same(ea, ua), $"case {i}: a = {a}: {pa}, {ua} vs {ea}");
            Assert.True(Same(eb, pb) && Same(eb, ub), $"case {i}: b = {b}: {pb}, {ub} vs {eb}");
        }
    }
}
