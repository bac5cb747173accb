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

    // ILGPU's CPU accelerator runs kernels thread by thread (about 0.3 µs per multiply-add on the
    // CI machine), so each configuration decodes a prefix of the prompt and greedy decoding is checked
    // once per model: the suite stays within a few minutes on 2 cores.
    private const int PromptPrefix = 8;
    private const int GreedySteps = 3;

    /// <summary>
    /// Every -ngl from 0 (the CPU run, bit for bit) to n_layer + 1 (the output layer too), with -sm layer
    /// (layers split over two GPUs) and -sm row (every offloaded matrix split over both), logits and
    /// greedy tokens; models of
    /// each kind the GPU kernels read differently (F32, F16, a legacy and a K quant with direct
    /// kernels, Q3_K dequantised at upload, qwen2's biases and NeoX RoPE, qwen3's q/k norms, an F16
    /// KV cache). The tolerance is the one the CPU run is held to
    /// against llama.cpp: the GPU rounds activations as ggml's CPU does, so GPU and CPU differ by
    /// float rounding plus, in the quantized micro models, the rare flip of one quantized activation.
    /// </summary>
    [Theory]
    [InlineData("micro-llama-F32", "kvf32", ReferenceTolerances.F32)]
    [InlineData("micro-llama-F32", "kvf16", ReferenceTolerances.F16CacheOtherOrder)]
    [InlineData("micro-llama-F16", "kvf32", ReferenceTolerances.F16Weights)]
    [InlineData("micro-llama-Q4_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-llama-Q3_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-qwen2-Q8_0", "kvf32", ReferenceTolerances.QuantizedActivations)]
    [InlineData("micro-qwen3-Q6_K", "kvf32", ReferenceTolerances.QuantizedActivations)]
    public void OffloadedLayers_MatchCpuAndLlamaCpp(string model, string cache, float tolerance)
    {
        var run = ReferenceRun.Load($"{model}.p1.{cache}");
        var path = TestPaths.Require(TestPaths.Micro(model + ".gguf"));
        var prompt = run.PromptTokens.AsSpan(0, PromptPrefix).ToArray();
        float[] cpuLogits;
        int[] cpuGreedy;
        int nLayer;
        using (var cpu = Model.Load(path))
        using (var ctx = cpu.CreateContext(ReferenceComparison.ParamsFor(run)))
        {
            Assert.Null(cpu.Gpu);
            nLayer = cpu.Hyperparameters.BlockCount;
            ctx.Decode(prompt);
            cpuLogits = AllLogits(ctx, prompt.Length);
            cpuGreedy = ReferenceComparison.Greedy(ctx, run, GreedySteps);
        }

        var configs = new List<(SplitMode, int)>();
        foreach (var mode in new[] { SplitMode.Layer, SplitMode.Row })
            for (var ngl = 0; ngl <= nLayer + 1; ngl++) configs.Add((mode, ngl));
        foreach (var (mode, ngl) in configs)
        {
            using var m = Model.Load(path, Offload(ngl, mode));
            if (ngl == 0)
            {
                // nothing offloaded: the CPU run exactly
                Assert.True(m.Gpu is null || m.GpuPlan!.OffloadedLayers == 0, $"-sm {mode} -ngl 0 offloaded layers");
                using var cpuAgain = m.CreateContext(ReferenceComparison.ParamsFor(run));
                cpuAgain.Decode(prompt);
                Assert.Equal(cpuLogits, AllLogits(cpuAgain, prompt.Length));
                output.WriteLine($"{model} {cache} -sm {mode} -ngl 0: identical to the CPU run");
                continue;
            }
            Assert.NotNull(m.Gpu);
            Assert.Equal(Math.Min(ngl, nLayer + 1), m.GpuPlan!.OffloadedLayers);
            Assert.Equal(nLayer - Math.Min(ngl, nLayer), m.Gpu!.FirstLayer);
            Assert.Equal(ngl > nLayer, m.Gpu.Output is not null);
            using var ctx = m.CreateContext(ReferenceComparison.ParamsFor(run));
            ctx.Decode(prompt);
            var logits = AllLogits(ctx, prompt.Length);
            float vsCpu = 0, vsLlama = 0;
            for (var i = 0; i < logits.Length; i++)
            {
                vsCpu = MathF.Max(vsCpu, MathF.Abs(logits[i] - cpuLogits[i]));
                vsLlama = MathF.Max(vsLlama, MathF.Abs(logits[i] - run.Logits[i]));
            }
            output.WriteLine($"{model} {cache} -sm {mode} -ngl {ngl}: max |Δ| vs CPU {vsCpu:G3}, vs llama.cpp {vsLlama:G3} (tolerance {tolerance:G3})");
            Assert.True(vsCpu < tolerance, $"-sm {mode} -ngl {ngl}: max |logit diff| vs CPU {vsCpu} ≥ {tolerance}");
            Assert.True(vsLlama < tolerance, $"-sm {mode} -ngl {ngl}: max |logit diff| vs llama.cpp {vsLlama} ≥ {tolerance}");

            var greedy = ReferenceComparison.Greedy(ctx, run, GreedySteps);
            for (var s = 0; s < greedy.Length && run.GreedyTop2Gap[s] > 2 * tolerance; s++)
            {
                Assert.True(greedy[s] == cpuGreedy[s], $"-ngl {ngl} step {s}: GPU {greedy[s]}, CPU {cpuGreedy[s]}");
                Assert.True(greedy[s] == run.GreedyTokens[s], $"-ngl {ngl} step {s}: GPU {greedy[s]}, llama.cpp {run.GreedyTokens[s]}");
            }
        }
    }

    /// <summary>
    /// -sm none uses only -mg: every offloaded weight on the last device (CUDA1 of the two stand-ins),
    /// none on the others; results as the CPU's. (On a machine with one real GPU, -mg 0.) The
    /// stand-ins run groups of several threads here, as a GPU does (<see cref="GpuTestDevices.GroupedChoice"/>).
    /// </summary>
    [Fact]
    public void SplitModeNone_UsesOnlyTheMainGpu()
    {
        var run = ReferenceRun.Load("micro-llama-F32.p1.kvf32");
        var path = TestPaths.Require(TestPaths.Micro("micro-llama-F32.gguf"));
        var prompt = run.PromptTokens.AsSpan(0, PromptPrefix).ToArray();
        int main = GpuRuntime.Shared(GpuTestDevices.GroupedChoice).Devices.Count - 1;
        using var m = Model.Load(path, new ModelParams { NGpuLayers = 99, SplitMode = SplitMode.None, MainGpu = main, GpuBackend = GpuTestDevices.GroupedChoice });
        var plan = m.GpuPlan!;
        Assert.All(plan.Entries, e => Assert.True(!e.BufferType.Name.StartsWith("CUDA") || e.BufferType.Name == $"CUDA{main}" || e.BufferType.Name == "CUDA_Host", e.BufferType.Name));
        Assert.Contains(plan.Entries, e => e.BufferType.Name == $"CUDA{main}");
        Assert.All(m.Gpu!.Layers, l => Assert.Equal($"CUDA{main}", l.Home.Info.Name));
        using var ctx = m.CreateContext(ReferenceComparison.ParamsFor(run));
        ctx.Decode(prompt);
        var logits = AllLogits(ctx, prompt.Length);
        for (var i = 0; i < logits.Length; i++)
            Assert.True(MathF.Abs(logits[i] - run.Logits[i]) < ReferenceTolerances.F32, $"logit {i}: {logits[i]} vs llama.cpp {run.Logits[i]}");
    }

    private static float[] AllLogits(SharpInfer.Inference.Context ctx, int n)
    {
        var v = ctx.VocabSize;
        var all = new float[n * v];
        for (var i = 0; i < n; i++) ctx.GetLogits(i).CopyTo(all.AsSpan(i * v, v));
        return all;
    }
}
