using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Models;
using SharpInfer.Placement;

namespace SharpInfer.Tests.Placement;

/// <summary>
/// Layer distribution against llama.cpp's llm_load_tensors arithmetic, worked out by hand:
/// i_gpu_start = n_layer − ngl, act = min(ngl, n_layer + 1), layer il goes to the first GPU whose
/// cumulative split point exceeds (il − i_gpu_start) / act; the output layer is il = n_layer.
/// </summary>
public class LayerPlacementTests
{
    private const long GiB = 1L << 30;
    private static readonly PlanInput Llama1B = ModelShapes.Llama32_1B_(ModelShapes.Quant.Q4_0); // 16 layers, tied output
    private static readonly PlanInput Llama8B = ModelShapes.Llama3_8B_(ModelShapes.Quant.Q4_0);  // 32 layers, output.weight

    private static BackendSet TwoGpus(long free0, long free1) =>
        new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(
            BackendDevice.SimulatedGpu(0, 80 * GiB, free0), BackendDevice.SimulatedGpu(1, 80 * GiB, free1));

    private static string LayerDevice(Plan plan, int layer) => plan.Find($"blk.{layer}.attn_q.weight")!.BufferType.Name;

    [Fact]
    public void FreeMemoryThreeToOne_AllLayers_SplitsAtThreeQuarters()
    {
        // splits = [0.75, 1]; il/16 < 0.75 for il <= 11
        var plan = Planner.Create(Llama1B, ModelParams.Default with { NGpuLayers = 16 }, TwoGpus(24 * GiB, 8 * GiB));
        for (int il = 0; il < 16; il++) Assert.Equal(il <= 11 ? "CUDA0" : "CUDA1", LayerDevice(plan, il));
        Assert.Equal("CUDA_Host", plan.Find("output_norm.weight")!.BufferType.Name); // ngl = n_layer: output stays on the CPU
        Assert.Equal("CUDA_Host", plan.Find("token_embd.weight")!.BufferType.Name);
        Assert.Equal(16, plan.OffloadedLayers);
    }

    [Fact]
    public void NglAboveNLayer_OutputGoesToTheLastGpuShare()
    {
        // act = 17, i_gpu_start = 0: 12/17 = 0.706 < 0.75 -> CUDA0; 13/17 = 0.765 -> CUDA1; output il = 16 -> CUDA1
        var plan = Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = 17 }, TwoGpus(24 * GiB, 8 * GiB));
        Assert.Equal(15, plan.GpuLayerStart);
        // only 17 layers offloaded of 33: layers 15..31 at (il-15)/17
        for (int il = 0; il < 32; il++)
        {
            string expected = il < 15 ? "CUDA_Host" : (float)(il - 15) / 17 < 0.75f ? "CUDA0" : "CUDA1";
            Assert.Equal(expected, LayerDevice(plan, il));
        }
        Assert.Equal("CUDA_Host", plan.Find("output.weight")!.BufferType.Name); // (32-15)/17 = 1 >= act: CPU

        var all = Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = 33 }, TwoGpus(24 * GiB, 8 * GiB));
        Assert.Equal(0, all.GpuLayerStart);
        for (int il = 0; il < 32; il++) Assert.Equal(il / 33f < 0.75f ? "CUDA0" : "CUDA1", LayerDevice(all, il));
        Assert.Equal("CUDA1", all.Find("output.weight")!.BufferType.Name);
        Assert.Equal("CUDA1", all.Find("output_norm.weight")!.BufferType.Name);
        Assert.Equal("CUDA_Host", all.Find("token_embd.weight")!.BufferType.Name); // input never offloaded
        Assert.Equal(33, all.OffloadedLayers);
    }

    [Fact]
    public void TiedOutput_OnGpu_GetsACopyOfTheEmbeddings()
    {
        var plan = Planner.Create(Llama1B, ModelParams.Default with { NGpuLayers = 99 }, TwoGpus(24 * GiB, 8 * GiB));
        var copy = Assert.Single(plan.Entries, e => e.IsDuplicate);
        Assert.Equal("token_embd.weight", copy.Name);
        Assert.Equal("CUDA1", copy.BufferType.Name);
        Assert.Equal(LayerKind.Output, copy.Role.Kind);
        Assert.Equal("CUDA_Host", plan.Find("token_embd.weight")!.BufferType.Name);

        var cpuOnly = Planner.Create(Llama1B, ModelParams.Default, new BackendSet(CpuBackend.CreateWithoutExtras()));
        Assert.DoesNotContain(cpuOnly.Entries, e => e.IsDuplicate);
    }

    [Fact]
    public void TensorSplitOverridesFreeMemory()
    {
        // -ts 1,3: splits [0.25, 1]; il/16 < 0.25 for il <= 3
        var plan = Planner.Create(Llama1B, ModelParams.Default with { NGpuLayers = 16, TensorSplit = [1f, 3f] }, TwoGpus(24 * GiB, 8 * GiB));
        for (int il = 0; il < 16; il++) Assert.Equal(il <= 3 ? "CUDA0" : "CUDA1", LayerDevice(plan, il));
    }

    [Fact]
    public void SplitModeNone_UsesOnlyTheMainGpu()
    {
        var plan = Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = 99, SplitMode = SplitMode.None, MainGpu = 1 }, TwoGpus(24 * GiB, 8 * GiB));
        Assert.All(plan.Entries.Where(e => e.Role.Kind != LayerKind.Input), e => Assert.Equal("CUDA1", e.BufferType.Name));
        Assert.Equal(0, plan.Devices[0].PlannedBytes);
    }

    [Fact]
    public void SplitModeRow_MatricesSplitByRows_OthersOnTheMainGpu()
    {
        var plan = Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = 99, SplitMode = SplitMode.Row, TensorSplit = [3f, 1f] }, TwoGpus(24 * GiB, 8 * GiB));
        var q = plan.Find("blk.0.attn_q.weight")!; // 4096 rows: split point 3072 (a multiple of 64)
        Assert.Equal("CUDA_Split", q.BufferType.Name);
        Assert.Equal([new RowSlice("CUDA0", 0, 3072, 3072 * 2304L), new RowSlice("CUDA1", 3072, 1024, 1024 * 2304L)], q.Rows!);
        var k = plan.Find("blk.0.attn_k.weight")!; // 1024 rows: 768 | 256
        Assert.Equal([768L, 256L], k.Rows!.Select(r => r.RowCount));
        Assert.Equal("CUDA0", plan.Find("blk.0.attn_norm.weight")!.BufferType.Name);
        Assert.Equal("CUDA_Split", plan.Find("output.weight")!.BufferType.Name);
        Assert.Equal("CUDA_Host", plan.Find("token_embd.weight")!.BufferType.Name);

        var moe = Planner.Create(ModelShapes.Qwen3_30B_A3B_(ModelShapes.Quant.Q4_0), ModelParams.Default with { NGpuLayers = 99, SplitMode = SplitMode.Row }, TwoGpus(40 * GiB, 40 * GiB));
        Assert.Equal("CUDA0", moe.Find("blk.0.ffn_up_exps.weight")!.BufferType.Name); // split buffers take only 2-D MUL_MAT weights
        long split = moe.Entries.Where(e => e.Rows is not null).Sum(e => e.Rows!.Single(r => r.Device == "CUDA1").Bytes);
        Assert.Equal(split, moe.Devices[1].PlannedBytes);
    }

    [Fact]
    public void NoGpu_NglIsIgnored()
    {
        var cpu = new BackendSet(CpuBackend.CreateWithoutExtras());
        var plan = Planner.Create(Llama1B, ModelParams.Default with { NGpuLayers = 99 }, cpu);
        Assert.All(plan.Entries, e => Assert.Equal("CPU", e.BufferType.Name));
        Assert.Equal(0, plan.OffloadedLayers);
    }

    [Fact]
    public void ModelThatDoesNotFit_NamesTensorBytesAndTheNglThatFits()
    {
        var small = new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(BackendDevice.SimulatedGpu(0, 2 * GiB, 2 * GiB));
        var ex = Assert.Throws<PlacementException>(() => Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = 33 }, small));
        Assert.Equal("CUDA0", ex.Device);
        Assert.StartsWith("blk.", ex.Tensor);
        Assert.Contains(ex.Tensor, ex.Message);
        Assert.Contains($"-ngl {ex.FittingGpuLayers} fits", ex.Message);
        Assert.True(ex.Bytes > 0);
        Assert.InRange(ex.FittingGpuLayers, 1, 32);
        Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = ex.FittingGpuLayers }, small); // fits
        Assert.Throws<PlacementException>(() => Planner.Create(Llama8B, ModelParams.Default with { NGpuLayers = ex.FittingGpuLayers + 1 }, small));
        // each Q4_0 layer of Llama-3-8B is about 109 MiB (218 MiB is too much for the output copy too): 2 GiB holds ~18
        Assert.InRange(ex.FittingGpuLayers, 15, 19);
    }

    [Fact]
    public void BadMainGpu_IsAUserError()
    {
        var ex = Assert.Throws<SharpInferException>(() => Planner.Create(Llama1B, ModelParams.Default with { MainGpu = 2, SplitMode = SplitMode.None }, TwoGpus(GiB, GiB)));
        Assert.Contains("-mg 2", ex.Message);
    }
}

public class NegativeNglTests
{
    [Fact]
    public void NegativeNgl_MeansEveryLayer()
    {
        var gpus = new BackendSet(SharpInfer.Backends.Cpu.CpuBackend.CreateWithoutExtras()).WithGpus(BackendDevice.SimulatedGpu(0, 80L << 30, 80L << 30));
        var input = ModelShapes.Llama3_8B_(ModelShapes.Quant.Q4_0);
        var all = Planner.Create(input, ModelParams.Default with { NGpuLayers = -1 }, gpus);
        var explicitAll = Planner.Create(input, ModelParams.Default with { NGpuLayers = 33 }, gpus);
        Assert.Equal(33, all.OffloadedLayers);
        Assert.Equal(PlanSerializer.ToText(explicitAll).Replace("n_gpu_layers 33", "n_gpu_layers -1"), PlanSerializer.ToText(all));
    }
}
