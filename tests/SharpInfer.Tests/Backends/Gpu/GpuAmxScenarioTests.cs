using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Gpu;
using SharpInfer.Models;
using SharpInfer.Placement;
using SharpInfer.Tests.Models;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// The design note's four scenarios end to end, with live GPU devices (ILGPU's CPU accelerator
/// standing in for CUDA0/CUDA1, or CUDA under SHARPINFER_GPU_TESTS=cuda): 1 baseline (no --amx, no
/// GPU), 2 -ngl N, 3 --amx without GPU layers, 4 --amx -ngl N. Scenario 4 must place and compute
/// exactly as 2, and both plans must equal, byte for byte, the plan of a runtime that has no extra
/// buffer types at all.
/// </summary>
public sealed class GpuAmxScenarioTests
{
    private const string ModelName = "micro-llama-Q8_0";
    private const int Steps = 3;

    private static int[] Greedy(Model m, int[] prompt)
    {
        using var ctx = m.CreateContext(new() { ContextLength = 64 });
        ctx.Decode(prompt, allLogits: false);
        var tokens = new int[Steps];
        for (var s = 0; s < Steps; s++)
        {
            tokens[s] = ReferenceComparison.ArgMax(ctx.GetLogits(-1));
            if (s + 1 < Steps) ctx.Decode([tokens[s]], allLogits: false);
        }
        return tokens;
    }

    /// <summary>Scenarios 1 and 3: --amx without GPU layers computes what the baseline computes (twice: no state carried between loads).</summary>
    [Fact]
    public void AmxWithoutGpuLayers_EqualsBaseline()
    {
        var path = TestPaths.Require(TestPaths.Micro(ModelName + ".gguf"));
        var prompt = ReferenceRun.Load($"{ModelName}.p1.kvf32").PromptTokens.AsSpan(0, 6).ToArray();
        var gpu = GpuTestDevices.Choice;
        int[] baseline, amxCpu;
        using (var m1 = Model.Load(path)) { Assert.Null(m1.Gpu); baseline = Greedy(m1, prompt); }
        using (var m3 = Model.Load(path, new ModelParams { UseAmx = true, GpuBackend = gpu })) { Assert.Null(m3.Gpu); amxCpu = Greedy(m3, prompt); }
        int[] amxAgain;
        using (var m5 = Model.Load(path, new ModelParams { UseAmx = true, GpuBackend = gpu })) amxAgain = Greedy(m5, prompt);
        Assert.True(amxCpu.SequenceEqual(amxAgain), $"--amx without GPU layers: first load {string.Join(",", amxCpu)}, second {string.Join(",", amxAgain)}, baseline {string.Join(",", baseline)}");
        Assert.Equal(baseline, amxCpu);

    }

    [Theory]
    [InlineData(1, SplitMode.Layer)]
    [InlineData(3, SplitMode.Layer)]
    [InlineData(3, SplitMode.Row)]
    public void AmxWithOffload_IsIdenticalToOffloadAlone_AndToARuntimeWithoutExtraTypes(int ngl, SplitMode mode)
    {
        var path = TestPaths.Require(TestPaths.Micro(ModelName + ".gguf"));
        var prompt = ReferenceRun.Load($"{ModelName}.p1.kvf32").PromptTokens.AsSpan(0, 6).ToArray();
        var gpu = GpuTestDevices.Choice;

        using var m2 = Model.Load(path, new ModelParams { NGpuLayers = ngl, SplitMode = mode, GpuBackend = gpu });
        using var m4 = Model.Load(path, new ModelParams { NGpuLayers = ngl, SplitMode = mode, GpuBackend = gpu, UseAmx = true });
        var plan2 = PlanSerializer.ToText(m2.GpuPlan!);
        var plan4 = PlanSerializer.ToText(m4.GpuPlan!);
        Assert.Equal(plan2, plan4);
        Assert.Contains(m4.GpuPlan!.Messages, line => line.Contains("--amx is ignored"));
        Assert.DoesNotContain("AMX", plan4);
        Assert.DoesNotContain("CPU_REPACK", plan4);
        Assert.Contains("CUDA0", plan4);
        if (ngl < m2.Hyperparameters.BlockCount) Assert.Contains("CUDA_Host", plan4);

        // a runtime that never had extra buffer types: same GPUs, a CPU backend without AMX/REPACK
        using var file = SharpInfer.Format.Gguf.GgufFile.Open(path);
        var bare = new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(GpuRuntime.Shared(gpu));
        var planBare = Planner.Create(PlanInput.FromGguf(file), new ModelParams { NGpuLayers = ngl, SplitMode = mode, GpuBackend = gpu }, bare);
        Assert.Equal(plan2, PlanSerializer.ToText(planBare));
        Assert.Equal(PlanSerializer.ToJson(m2.GpuPlan!), PlanSerializer.ToJson(planBare));

        Assert.Equal(Greedy(m2, prompt), Greedy(m4, prompt));
    }
}
