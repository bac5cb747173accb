using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Models;
using SharpInfer.Numerics;
using SharpInfer.Placement;

namespace SharpInfer.Tests.Placement;

/// <summary>The design note's four scenarios, plus the --amx edge cases, on Llama-3.2-1B shapes.</summary>
public class PlannerScenarioTests
{
    private const long GiB = 1L << 30;
    private static readonly BackendDevice Gpu0 = BackendDevice.SimulatedGpu(0, 24 * GiB, 24 * GiB);

    private static BackendSet CpuWith(params IExtraBufferTypeSource[] extras) => new(new CpuBackend(extras));

    private static string Text(Plan p) => PlanSerializer.ToText(p);

    [Fact]
    public void Scenario1_CpuWithoutAmx_EveryWeightInPlainCpu_ExtrasUntouched()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        var counting = CountingExtraSource.AcceptingEverything();
        var plan = Planner.Create(input, ModelParams.Default, CpuWith(counting, new RepackBufferTypeSource()));

        Assert.All(plan.Entries, e => Assert.Equal("CPU", e.BufferType.Name));
        Assert.Equal(["CPU"], plan.Buffers.Select(b => b.Name));
        Assert.Empty(plan.Messages);
        Assert.True(counting.Untouched);
        Assert.Equal(Text(Planner.Create(input, ModelParams.Default, new BackendSet(CpuBackend.CreateWithoutExtras()))), Text(plan));
    }

    [Fact]
    public void Scenario2_GpuWithoutAmx_CpuLayersInPinnedHost_GpuLayersOnDevice()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        var counting = CountingExtraSource.AcceptingEverything();
        var backends = CpuWith(counting).WithGpus(Gpu0);
        var plan = Planner.Create(input, ModelParams.Default with { NGpuLayers = 10 }, backends);

        Assert.Equal(6, plan.GpuLayerStart);
        foreach (var e in plan.Entries)
        {
            string expected = e.Role.Kind switch
            {
                LayerKind.Repeating when e.Role.Layer >= 6 => "CUDA0",
                _ => "CUDA_Host",
            };
            Assert.True(expected == e.BufferType.Name, $"{e.Name}: {e.BufferType.Name}, expected {expected}");
        }
        Assert.True(counting.Untouched);
        Assert.Empty(plan.Messages);
        Assert.Equal(Text(Planner.Create(input, ModelParams.Default with { NGpuLayers = 10 }, new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(Gpu0))), Text(plan));
    }

    [Fact]
    public void Scenario3_AmxCpuOnly_MatrixWeightsTakeTheFirstAcceptingExtraType()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        // a GPU exists but nothing is offloaded: --amx applies, and host_buffer is false
        var plan = Planner.Create(input, ModelParams.Default with { UseAmx = true }, BackendSet.Default().WithGpus(Gpu0));

        foreach (var e in plan.Entries)
        {
            bool matrix = e.Role.Kind == LayerKind.Repeating && e.Role.Op == WeightOp.MatMul;
            string expected = matrix ? RepackBufferType.TypeName : "CPU";
            Assert.True(expected == e.BufferType.Name, $"{e.Name}: {e.BufferType.Name}, expected {expected}");
        }
        Assert.Equal("CPU", plan.Find("token_embd.weight")!.BufferType.Name);
        Assert.Equal("CPU", plan.Find("output_norm.weight")!.BufferType.Name);
        Assert.DoesNotContain(plan.Buffers, b => b.Name == "CUDA_Host");
        var message = Assert.Single(plan.Messages);
        Assert.Contains("CPU_REPACK", message);
        Assert.Contains("AMX", message); // says that AMX is not available
    }

    [Fact]
    public void Scenario4_AmxWithGpu_IgnoredWithOneWarning_PlanAsWithoutAmx()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        var counting = CountingExtraSource.AcceptingEverything();
        var backends = CpuWith(counting, new RepackBufferTypeSource()).WithGpus(Gpu0);
        var with = Planner.Create(input, ModelParams.Default with { NGpuLayers = 10, UseAmx = true }, backends);
        var without = Planner.Create(input, ModelParams.Default with { NGpuLayers = 10 }, backends);

        Assert.Equal(Text(without), Text(with));
        Assert.Equal(PlanSerializer.ToJson(without), PlanSerializer.ToJson(with));
        var warning = Assert.Single(with.Messages);
        Assert.Contains("--amx is ignored", warning);
        Assert.True(counting.Untouched);
    }

    [Fact]
    public void AmxWithoutAnyExtraType_OneLineNamingWhatIsMissing_PlanIsTheBaseline()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        var cpu = CpuWith(new MissingExtraBufferType("AMX", "AMX kernels are not part of this build"));
        var plan = Planner.Create(input, ModelParams.Default with { UseAmx = true }, cpu);
        var baseline = Planner.Create(input, ModelParams.Default, new BackendSet(CpuBackend.CreateWithoutExtras()));

        Assert.Equal(Text(baseline), Text(plan));
        var line = Assert.Single(plan.Messages);
        Assert.Contains("AMX: AMX kernels are not part of this build", line);
    }

    [Fact]
    public void AmxWithoutExtras_AndAGpu_KeepsThePinnedHostBaseline()
    {
        var input = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0);
        var plan = Planner.Create(input, ModelParams.Default with { UseAmx = true }, new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(Gpu0));
        Assert.All(plan.Entries, e => Assert.Equal("CUDA_Host", e.BufferType.Name));
        Assert.Single(plan.Messages);
    }

    [Fact]
    public void Amx_NeverGivesNormsBiasesF32EmbeddingsOutputOrExpertsToAnExtraType()
    {
        // the extra type accepts everything; only the planner's rules keep these tensors away from it
        var greedy = CountingExtraSource.AcceptingEverything();
        int seenExpertsAndBiases = 0;
        foreach (var input in new[] { ModelShapes.Qwen3_30B_A3B_(ModelShapes.Quant.Q4_0), ModelShapes.Qwen25_05B_(ModelShapes.Quant.Q4_0), ModelShapes.Llama3_8B_(ModelShapes.Quant.Q4_0) })
        {
            var plan = Planner.Create(input, ModelParams.Default with { UseAmx = true }, CpuWith(greedy));
            foreach (var e in plan.Entries)
            {
                bool eligible = e.Role.Kind == LayerKind.Repeating && e.Role.Op == WeightOp.MatMul && !e.Role.IsExpert && e.Type != GgmlType.F32;
                Assert.True((eligible ? "GREEDY" : "CPU") == e.BufferType.Name, $"{e.Name} ({e.Type}, {e.Role.Op}) went to {e.BufferType.Name}");
            }
            seenExpertsAndBiases += plan.Entries.Count(e => e.Name.EndsWith("_exps.weight") || e.Name.EndsWith(".bias"));
        }
        Assert.True(seenExpertsAndBiases > 0);
    }

    [Fact]
    public void Amx_RepackRefusesTypesAndShapesItCannotPack()
    {
        var plan = Planner.Create(ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_K_M), ModelParams.Default with { UseAmx = true }, BackendSet.Default());
        Assert.All(plan.Entries, e => Assert.Equal("CPU", e.BufferType.Name)); // Q4_K/Q6_K: REPACK here takes only Q4_0/Q8_0
        var q8 = Planner.Create(ModelShapes.Qwen25_05B_(ModelShapes.Quant.Q8_0), ModelParams.Default with { UseAmx = true }, BackendSet.Default());
        Assert.Equal(RepackBufferType.TypeName, q8.Find("blk.3.attn_k.weight")!.BufferType.Name);
        Assert.Equal("CPU", q8.Find("token_embd.weight")!.BufferType.Name);
    }

    [Fact]
    public void Amx_PicksTheFirstAcceptingTypeInPriorityOrder()
    {
        // first type accepts only attn_q; REPACK gets the other Q4_0 matrices
        var picky = new CountingExtraSource(new CountingExtraType("PICKY", (t, _) => t.Name.EndsWith("attn_q.weight")));
        var plan = Planner.Create(ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0), ModelParams.Default with { UseAmx = true },
            CpuWith(picky, new RepackBufferTypeSource()));
        Assert.Equal("PICKY", plan.Find("blk.0.attn_q.weight")!.BufferType.Name);
        Assert.Equal("CPU_REPACK", plan.Find("blk.0.attn_k.weight")!.BufferType.Name);
        Assert.Equal(["CPU", "PICKY", "CPU_REPACK"], plan.Buffers.Select(b => b.Name));
        Assert.Equal(1, picky.Probes);
    }
}
