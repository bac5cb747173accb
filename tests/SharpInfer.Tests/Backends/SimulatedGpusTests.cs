using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Models;
using SharpInfer.Placement;
using SharpInfer.Tests.Placement;

namespace SharpInfer.Tests.Backends;

public class SimulatedGpusTests
{
    [Fact]
    public void ParsesSizesAndNames()
    {
        var gpus = SimulatedGpus.Parse("24GiB:20GiB, 512MiB");
        Assert.Equal(["CUDA0", "CUDA1"], gpus.Select(g => g.Name));
        Assert.Equal((24L << 30, 20L << 30), (gpus[0].TotalMemory, gpus[0].FreeMemory));
        Assert.Equal((512L << 20, 512L << 20), (gpus[1].TotalMemory, gpus[1].FreeMemory));
        Assert.Empty(SimulatedGpus.Parse(""));
        Assert.Throws<SharpInferException>(() => SimulatedGpus.Parse("24GB"));
        Assert.Throws<SharpInferException>(() => SimulatedGpus.Parse("8GiB:9GiB"));
    }

    [Fact]
    public void GpusWithoutMemoryFigures_ShareLayersEqually_AndAreNotFitChecked()
    {
        var gpus = new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(SimulatedGpus.Parse("0B,0B"));
        var plan = Planner.Create(ModelShapes.Llama3_8B_(ModelShapes.Quant.Q4_0), ModelParams.Default with { NGpuLayers = 32 }, gpus);
        for (int il = 0; il < 32; il++)
            Assert.Equal(il < 16 ? "CUDA0" : "CUDA1", plan.Find($"blk.{il}.ffn_up.weight")!.BufferType.Name);
        Assert.Contains("offloaded 32/33 layers", PlanFormatter.Report(plan));
    }
}
