using SharpInfer.Backends.Gpu;
using SharpInfer.Models;
using SharpInfer.Tests.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// The forward pass with layers offloaded to two GPUs (ILGPU's CPU accelerator standing in for
/// CUDA0/CUDA1 unless SHARPINFER_GPU_TESTS=cuda) against the CPU-only run and llama.cpp's logits.
/// </summary>
public sealed class GpuOffloadTests(ITestOutputHelper output)
{
    private static ModelParams Offload(int ngl, SplitMode mode) => new()
    {
        NGpuLayers = ngl,
        SplitMode = mode,
        GpuBackend = GpuTestDevices.Choice,
    };

    /// <summary>
    /// Every -ngl from 0 to n_layer + 1 (output layer included), layer and row split, for models of
    /// each kind the GPU kernels read differently (F32, F16, a legacy and a K quant, qwen2's biases and
    /// NeoX RoPE, qwen3's q/k norms). The tolerance is the one the CPU run is held to against
    /// llama.cpp: the GPU multiplies by float activations where the CPU rounds them to the weight's
    /// vec_dot type, so GPU and CPU differ by at most about what CPU and llama.cpp may.
    /// </summary>
    [Theory]
    [InlineData("micro-llama-F32", "kvf32", ReferenceTolerances.F32)]
    [InlineData("micro-llama-F32", "kvf16", ReferenceTolerances.F16Cache)]
    [InlineData("micro-llama-F16", "kvf32", ReferenceTolerances.F16Weights)]
    [InlineData("micro-llama-Q4_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-qwen2-Q8_0", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-qwen3-Q6_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-llama-Q3_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    public void EveryLayerCountAndSplitMode_MatchesCpuAndLlamaCpp(string model, string cache, float tolerance)
    {
        var run = ReferenceRun.Load($"{model}.p1.{cache}");
        var path = TestPaths.Require(TestPaths.Micro(model + ".gguf"));
        float[] cpuLogits;
        int[] cpuGreedy;
        int nLayer;
        using (var cpu = Model.Load(path))
        using (var ctx = cpu.CreateContext(ReferenceComparison.ParamsFor(run)))
        {
            Assert.Null(cpu.Gpu);
            nLayer = cpu.Hyperparameters.BlockCount;
            ctx.Decode(run.PromptTokens);
            cpuLogits = AllLogits(ctx, run.PromptTokens.Length);
            cpuGreedy = ReferenceComparison.Greedy(ctx, run, run.GreedyTokens.Length);
        }

        foreach (var mode in new[] { SplitMode.Layer, SplitMode.Row })
            for (var ngl = 0; ngl <= nLayer + 1; ngl++)
            {
                using var m = Model.Load(path, Offload(ngl, mode));
                Assert.Equal(ngl == 0, m.Gpu is null);
                if (m.Gpu is not null)
                {
                    Assert.Equal(Math.Min(ngl, nLayer + 1), m.GpuPlan!.OffloadedLayers);
                    Assert.Equal(nLayer - Math.Min(ngl, nLayer), m.Gpu.FirstLayer);
                    Assert.Equal(ngl > nLayer, m.Gpu.Output is not null);
                }
                using var ctx = m.CreateContext(ReferenceComparison.ParamsFor(run));
                var vsLlama = ReferenceComparison.MaxPromptLogitDiff(ctx, run);
                var logits = AllLogits(ctx, run.PromptTokens.Length);
                var vsCpu = 0f;
                for (var i = 0; i < logits.Length; i++) vsCpu = MathF.Max(vsCpu, MathF.Abs(logits[i] - cpuLogits[i]));
                output.WriteLine($"{model} {cache} -sm {mode} -ngl {ngl}: max |Δ| vs CPU {vsCpu:G3}, vs llama.cpp {vsLlama:G3} (tolerance {tolerance:G3})");
                Assert.True(vsCpu < tolerance, $"-sm {mode} -ngl {ngl}: max |logit diff| vs CPU {vsCpu} ≥ {tolerance}");
                Assert.True(vsLlama < tolerance, $"-sm {mode} -ngl {ngl}: max |logit diff| vs llama.cpp {vsLlama} ≥ {tolerance}");

                var greedy = ReferenceComparison.Greedy(ctx, run, run.GreedyTokens.Length);
                for (var s = 0; s < greedy.Length && run.GreedyTop2Gap[s] > 2 * tolerance; s++)
                {
                    Assert.True(greedy[s] == cpuGreedy[s], $"-sm {mode} -ngl {ngl} step {s}: GPU {greedy[s]}, CPU {cpuGreedy[s]}");
                    Assert.True(greedy[s] == run.GreedyTokens[s], $"-sm {mode} -ngl {ngl} step {s}: GPU {greedy[s]}, llama.cpp {run.GreedyTokens[s]}");
                }
            }
    }

    private static float[] AllLogits(SharpInfer.Inference.Context ctx, int n)
    {
        var v = ctx.VocabSize;
        var all = new float[n * v];
        for (var i = 0; i < n; i++) ctx.GetLogits(i).CopyTo(all.AsSpan(i * v, v));
        return all;
    }
}
