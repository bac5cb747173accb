using SharpInfer.Backends;
using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Format.Gguf;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;
using SharpInfer.Platform.X64;
using SharpInfer.Placement;
using SharpInfer.Tests.Amx.Interpreter;
using SharpInfer.Tests.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// F16 weights in the AMX buffer: ggml keeps them in the file's layout and multiplies them against the F32 activations
/// (tinygemm_kernel_avx: 16 FMA lanes over K, then _mm512_reduce_add_ps), where the plain CPU path rounds the
/// activations to F16 first.
/// </summary>
public sealed unsafe class F16AmxGemmTests(ITestOutputHelper output)
{
    private static (ushort[] W, float[] X) RandomProblem(int n, int k, int m, int seed)
    {
        var rng = new Random(seed);
        var w = new ushort[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = BitConverter.HalfToUInt16Bits((Half)((rng.NextDouble() - 0.5) * 0.2));
        var x = new float[m * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() - 0.5) * 4);
        return (w, x);
    }

    [Theory]
    [InlineData(6, 16, 1)]
    [InlineData(9, 48, 3)]
    [InlineData(32, 2048, 5)]
    [InlineData(37, 2064, 1)]   // one token, rows past SingleRowMaxK: four at a time, then single rows
    [InlineData(37, 2064, 6)]   // batch: tiles of 16, 16 and 5 weight rows; 4 + 2 tokens
    [InlineData(21, 4096, 2)]
    public void VectorPathEqualsTheScalarReferenceToTheBit(int n, int k, int m)
    {
        var (w, x) = RandomProblem(n, k, m, seed: n * k + m);
        w[1] = 0x0001; // the smallest subnormal half, and a large activation beside it
        x[1] = 60000f;
        foreach (bool finite in new[] { false, true })
            AssertVectorEqualsScalar(w, x, n, k, m, finite);
    }

    [Theory]
    [InlineData(0x7C00)]    // +inf
    [InlineData(0xFC00)]    // -inf
    public void RowsWithInfinitiesGiveTheScalarBitsWhenNotDeclaredFinite(int special)
    {
        const int n = 12, k = 2064, m = 1;     // long rows: the four-row kernel and single rows
        var (w, x) = RandomProblem(n, k, m, seed: special);
        w[5 * k + 100] = (ushort)special;
        AssertVectorEqualsScalar(w, x, n, k, m, finite: false);
    }

    private static void AssertVectorEqualsScalar(ushort[] w, float[] x, int n, int k, int m, bool finite)
    {
        var vector = new float[m * n];
        var scalar = new float[m * n];
        var scratch = new float[F16MatMul.ScratchFloats(k)];
        fixed (ushort* pw = w)
        fixed (float* px = x, pv = vector, ps = scalar, pscratch = scratch)
        {
            F16AmxGemm.Multiply(pw, n, k, px, m, pv, 0, 3, finite: finite);   // split as two threads would, not on 4-row groups
            F16AmxGemm.Multiply(pw, n, k, px, m, pv, 3, n, pscratch, finite);
            F16AmxGemm.MultiplyScalar(pw, n, k, px, m, ps, 0, n);
        }
        for (int i = 0; i < vector.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(scalar[i]) == BitConverter.SingleToInt32Bits(vector[i]),
                $"[{i}] (finite: {finite}): {vector[i]} vs scalar {scalar[i]}");
    }

    [Fact]
    public void ScalarReferenceIsTheDotOfF32ActivationsAndF16Weights()
    {
        const int n = 4, k = 512, m = 2;
        var (w, x) = RandomProblem(n, k, m, seed: 11);
        var y = new float[m * n];
        fixed (ushort* pw = w)
        fixed (float* px = x, py = y)
            F16AmxGemm.MultiplyScalar(pw, n, k, px, m, py, 0, n);
        for (int t = 0; t < m; t++)
            for (int r = 0; r < n; r++)
            {
                double exact = 0, scale = 0;
                for (int i = 0; i < k; i++)
                {
                    double p = x[t * k + i] * (double)BitConverter.UInt16BitsToHalf(w[r * k + i]);
                    exact += p;
                    scale += Math.Abs(p);
                }
                // F32 activations, not rounded to F16: float accumulation error only (F16 activations would be ~1e-3·scale off)
                Assert.True(Math.Abs(y[t * n + r] - exact) <= 1e-5 * scale, $"y[{t},{r}] = {y[t * n + r]}, exact {exact}");
            }
    }

    [Fact]
    public void ReductionIsTheTreeOfMm512ReduceAddPs()
    {
        // lanes chosen so that every other grouping rounds differently: 2^24 absorbs a 1 unless it meets its partner first
        var lanes = stackalloc float[16];
        for (int i = 0; i < 16; i++) lanes[i] = 0;
        lanes[0] = 16777216f; lanes[8] = -16777216f; lanes[1] = 1f; lanes[9] = 1f;
        Assert.Equal(2f, F16AmxGemm.ReduceScalar(lanes)); // (l0 + l8) + (l1 + l9) … exact
        Assert.Equal(1f, Sequential(lanes));                // a sequential sum absorbs one 1
        for (int i = 0; i < 16; i++) lanes[i] = 0;
        lanes[0] = 16777216f; lanes[4] = 1f; lanes[2] = -16777216f; // l4 meets l0 (absorbed) before l2 cancels l0
        Assert.Equal(0f, F16AmxGemm.ReduceScalar(lanes));
        Assert.Equal(1f, Sequential(lanes));

        static float Sequential(float* v)
        {
            float s = 0;
            for (int i = 0; i < 16; i++) s += v[i];
            return s;
        }
    }

    [Theory]
    [InlineData(256L, 512L, true)]
    [InlineData(16L, 32L, true)]
    [InlineData(24L, 32L, false)]   // K % 16 != 0
    [InlineData(256L, 48L, false)]  // N % 32 != 0
    public void AmxBufferTakesF16AsGgmlDoes(long k, long n, bool expected)
    {
        var amx = AmxBufferTypeSource.WithRunner(new InterpretedTileRunner(X64Abi.Native)).Probe().Type!;
        var t = new GgufTensorInfo("w", GgmlType.F16, [k, n], 0);
        Assert.Equal(expected, amx.SupportsWeight(t, WeightOp.MatMul));
        Assert.False(amx.SupportsWeight(t, WeightOp.GetRows));
        if (!expected) return;
        Assert.Equal(2 * k * n, amx.GetAllocSize(t)); // "for f16, bf16 we don't do packing"
        var file = new byte[2 * k * n];
        new Random(5).NextBytes(file);
        using var buffer = amx.Allocate(amx.GetAllocSize(t));
        amx.WriteTensor(buffer.Data, t, file);
        Assert.Equal(file, new ReadOnlySpan<byte>(buffer.Data, (int)buffer.Size).ToArray());
    }

    /// <summary>
    /// micro-llama-F16 with every layer matrix in the AMX buffer (F32 activations) against the plain path (activations
    /// rounded to F16): the greedy tokens agree and the logits differ by the F16 rounding of the activations.
    /// </summary>
    [Fact]
    public void ForcedAmxF16ForwardPassMatchesThePlainPath()
    {
        var path = TestPaths.Require(TestPaths.Micro("micro-llama-F16.gguf"));
        var (plain, amx) = ForcedAmxModels.Load(path, new InterpretedTileRunner(X64Abi.Native));
        using var _ = plain;
        using var __ = amx;
        foreach (var layer in amx.Weights.Layers)
            foreach (var w in new[] { layer.Wq, layer.Wk, layer.Wv, layer.Wo, layer.FfnGate, layer.FfnUp, layer.FfnDown })
            {
                Assert.Equal(GgmlType.F16, w.Type);
                Assert.IsType<AmxBufferType>(w.BufferType);
            }
        float maxDiff = ForcedAmxModels.GreedyMaxDiff(plain, amx);
        output.WriteLine($"micro-llama-F16 AMX (F32 activations) vs plain (F16 activations): max |logit diff| {maxDiff:G3}");
        Assert.True(maxDiff > 0, "the AMX F16 path gave the plain path's bits: were the activations still rounded to F16?");
        Assert.True(maxDiff < ReferenceTolerances.F16ActivationRounding, $"max |logit diff| {maxDiff}");
    }
}
