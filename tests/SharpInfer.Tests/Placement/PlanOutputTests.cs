using System.Text.Json;
using SharpInfer.Backends;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Numerics;
using SharpInfer.Placement;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Placement;

public class PlanOutputTests
{
    [Fact]
    public void BufferLine_HasLlamaCppFormat()
    {
        Assert.Equal("load_tensors:   CPU_REPACK model buffer size =   412.50 MiB",
            PlanFormatter.BufferLine("CPU_REPACK", (long)(412.5 * 1024 * 1024)));
        Assert.Equal("load_tensors:        CUDA0 model buffer size =  4403.49 MiB",
            PlanFormatter.BufferLine("CUDA0", 4617393930));
    }

    [Fact]
    public void MicroLlamaQ4_0_WithAmx_RepacksEveryLayerMatrix_AndPrintsTwoBuffers()
    {
        using var f = GgufFile.Open(TestPaths.Require(TestPaths.Micro("micro-llama-Q4_0.gguf")));
        var plan = Planner.Create(PlanInput.FromGguf(f), ModelParams.Default with { UseAmx = true }, BackendSet.Default());

        long repack = 0, cpu = 0;
        foreach (var t in f.Tensors)
        {
            bool packable = t.Name.StartsWith("blk.") && t.Type == GgmlType.Q4_0 && t.Dimensions.Length == 2 && t.Dimensions[1] % 8 == 0;
            long aligned = (t.ByteSize + 31) / 32 * 32;
            if (packable) repack += aligned; else cpu += aligned;
            Assert.Equal(packable ? RepackBufferType.TypeName : "CPU", plan.Find(t.Name)!.BufferType.Name);
        }
        Assert.True(repack > 0);
        Assert.Equal(
            [PlanFormatter.BufferLine("CPU_Mapped", cpu), PlanFormatter.BufferLine("CPU_REPACK", repack)],
            PlanFormatter.LoadTensorsLines(plan));

        var table = PlanFormatter.Table(plan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(f.Tensors.Count + 1, table.Length);
        Assert.StartsWith("tensor", table[0]);
        var row = Assert.Single(table, l => l.StartsWith("blk.0.attn_q.weight "));
        Assert.Contains("Q4_0", row);
        Assert.Contains("[256, 256]", row);
        Assert.Contains("CPU_REPACK", row);
    }

    [Fact]
    public void OffloadLines_FollowLlamaCpp()
    {
        var gpus = BackendSet.Default().WithGpus(BackendDevice.SimulatedGpu(0, 24L << 30, 24L << 30));
        var input = ModelShapes.Llama3_8B_(ModelShapes.Quant.Q4_0);
        var some = PlanFormatter.LoadTensorsLines(Planner.Create(input, ModelParams.Default with { NGpuLayers = 10 }, gpus));
        Assert.Equal("load_tensors: offloading 10 repeating layers to GPU", some[0]);
        Assert.Equal("load_tensors: offloaded 10/33 layers to GPU", some[1]);
        var all = PlanFormatter.LoadTensorsLines(Planner.Create(input, ModelParams.Default with { NGpuLayers = 99 }, gpus));
        Assert.Equal(["load_tensors: offloading 32 repeating layers to GPU", "load_tensors: offloading output layer to GPU", "load_tensors: offloaded 33/33 layers to GPU"], all.Take(3));
        Assert.Contains(all, l => l.Contains("CUDA0 model buffer size"));
        Assert.Contains(all, l => l.Contains("CPU_Mapped model buffer size")); // embeddings in CUDA_Host, served from the mapped file
    }

    [Fact]
    public void Serialisation_IsDeterministic_AndTheJsonCarriesThePlacement()
    {
        var input = ModelShapes.Qwen3_30B_A3B_(ModelShapes.Quant.Q4_0);
        var p = ModelParams.Default with { NGpuLayers = 20, SplitMode = SplitMode.Row, TensorSplit = [2f, 1f] };
        BackendSet Backends() => BackendSet.Default().WithGpus(BackendDevice.SimulatedGpu(0, 48L << 30, 40L << 30), BackendDevice.SimulatedGpu(1, 48L << 30, 40L << 30));
        var a = Planner.Create(input, p, Backends());
        var b = Planner.Create(input, p, Backends());
        Assert.Equal(PlanSerializer.ToText(a), PlanSerializer.ToText(b));
        Assert.Equal(PlanSerializer.ToJson(a), PlanSerializer.ToJson(b));

        using var doc = JsonDocument.Parse(PlanSerializer.ToJson(a));
        var tensors = doc.RootElement.GetProperty("tensors");
        Assert.Equal(a.Entries.Count, tensors.GetArrayLength());
        var q = tensors.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "blk.47.attn_q.weight");
        Assert.Equal("CUDA_Split", q.GetProperty("buffer_type").GetString());
        Assert.Equal(2, q.GetProperty("rows").GetArrayLength());
        var early = tensors.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "blk.0.attn_q.weight");
        Assert.Equal("CUDA_Host", early.GetProperty("buffer_type").GetString());
        Assert.Contains("  blk.47.attn_q.weight Q4_0 [2048,4096] 47 MatMul CUDA_Split 4718592 rows=CUDA0:0+2688,CUDA1:2688+1408\n", PlanSerializer.ToText(a));
    }

    [Theory]
    [InlineData("token_embd.weight", LayerKind.Input, -1, WeightOp.GetRows)]
    [InlineData("output.weight", LayerKind.Output, 4, WeightOp.MatMul)]
    [InlineData("output_norm.weight", LayerKind.Output, 4, WeightOp.Mul)]
    [InlineData("blk.3.attn_q.weight", LayerKind.Repeating, 3, WeightOp.MatMul)]
    [InlineData("blk.3.attn_q.bias", LayerKind.Repeating, 3, WeightOp.Add)]
    [InlineData("blk.0.attn_k_norm.weight", LayerKind.Repeating, 0, WeightOp.Mul)]
    [InlineData("blk.2.ffn_up_exps.weight", LayerKind.Repeating, 2, WeightOp.MatMulId)]
    [InlineData("blk.2.ffn_gate_inp.weight", LayerKind.Repeating, 2, WeightOp.MatMul)]
    [InlineData("rope_freqs.weight", LayerKind.Repeating, 0, WeightOp.Rope)]
    public void TensorRoles_FollowLlamaCppNames(string name, LayerKind kind, int layer, WeightOp op)
    {
        var role = TensorRole.Classify(new GgufTensorInfo(name, GgmlType.F32, name.EndsWith("norm.weight") || name.EndsWith("bias") ? [64] : [64, 64], 0), 4);
        Assert.Equal((kind, layer, op), (role.Kind, role.Layer, role.Op));
        Assert.Equal(name.Contains("_exps"), role.IsExpert);
    }

    [Theory]
    [InlineData("blk.4.attn_q.weight")]
    [InlineData("blk.x.attn_q.weight")]
    [InlineData("mystery.weight")]
    public void UnplaceableTensorNames_AreUserErrors(string name)
    {
        var ex = Assert.Throws<SharpInferException>(() => TensorRole.Classify(new GgufTensorInfo(name, GgmlType.F32, [64, 64], 0), 4));
        Assert.Contains(name, ex.Message);
    }
}
