using SharpInfer.Inference;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Threading;

namespace SharpInfer.Tests.Models.Compute;

/// <summary>
/// The F16-cache path that converts each key/value group to float once must give the same bits as the path that
/// converts inside every dot product (ggml's tinyBLAS order for batches, vec_dot_f16's for one token), across a prompt,
/// single tokens, a continuation, GQA groups split between threads, and counts that leave partial chunks (and whole 64-blocks).
/// </summary>
[Collection(nameof(AttentionPathCollection))]
public sealed class AttentionTests
{
    [Theory]
    [InlineData(8, 2, 64, 1)]
    [InlineData(8, 2, 64, 2)]
    [InlineData(6, 3, 32, 3)]
    public void ConvertedF16BatchesEqualThePerDotPath(int nHead, int nHeadKv, int headDim, int threads)
    {
        const int size = 128;
        float[] RunAll(bool converted)
        {
            Attention.ConvertF16Batches = converted;
            try
            {
                var cache = new KvCache(1, size, nHeadKv * headDim, nHeadKv * headDim, GgmlType.F16, GgmlType.F16);
                using var pool = new WorkerPool(threads);
                var attention = new Attention(nHead, nHeadKv, headDim, headDim, size, pool);
                var all = new List<float>();
                int p0 = 0;
                // past 33 cells the orders differ; single tokens end a 64-block exactly (64) and start the next (65)
                foreach (var n in new[] { 19, 1, 40, 1, 1, 1, 1, 1, 3, 1 })
                {
                    var rng = new Random(n * 31 + nHead);
                    float[] R(int count, float scale) { var a = new float[count]; for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale; return a; }
                    var q = R(n * nHead * headDim, 2f);
                    var k = R(n * nHeadKv * headDim, 2f);
                    var v = R(n * nHeadKv * headDim, 3f);
                    var output = new float[n * nHead * headDim];
                    attention.Run(cache, 0, p0, n, q, k, v, output);
                    all.AddRange(output);
                    p0 += n;
                }
                return all.ToArray();
            }
            finally
            {
                Attention.ConvertF16Batches = true;
            }
        }
        var perDot = RunAll(converted: false);
        var converted = RunAll(converted: true);
        Assert.Equal(perDot.Length, converted.Length);
        for (int i = 0; i < perDot.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(perDot[i]) == BitConverter.SingleToInt32Bits(converted[i]), $"output {i}: {converted[i]} vs {perDot[i]}");
    }
}

/// <summary>Attention.ConvertF16Batches is process-wide: tests that flip it do not run in parallel with each other.</summary>
[CollectionDefinition(nameof(AttentionPathCollection), DisableParallelization = true)]
public sealed class AttentionPathCollection;
