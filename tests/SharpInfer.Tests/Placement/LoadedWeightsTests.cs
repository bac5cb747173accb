using SharpInfer.Backends;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Placement;
using SharpInfer.Tests.Backends;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Placement;

public unsafe class LoadedWeightsTests
{
    [Theory]
    [InlineData("micro-llama-Q4_0.gguf")]
    [InlineData("micro-qwen2-Q8_0.gguf")]
    public void AmxPlan_RepacksMatrices_AndTheRepackedKernelReproducesGgmlOnTheFileBytes(string fixture)
    {
        using var f = GgufFile.Open(TestPaths.Require(TestPaths.Micro(fixture)));
        var plan = Planner.Create(PlanInput.FromGguf(f), ModelParams.Default with { UseAmx = true }, BackendSet.Default());
        using var weights = LoadedWeights.Load(plan, f);

        Assert.Single(weights.Buffers); // CPU_REPACK; plain CPU tensors are read from the mapped file
        int repacked = 0;
        var rng = new Random(2);
        foreach (var t in f.Tensors)
        {
            var w = weights[t.Name];
            if (!w.IsRepacked)
            {
                Assert.True(f.GetTensorPointer(t) == w.Data, t.Name);
                continue;
            }
            repacked++;
            int rows = (int)t.RowCount, cols = (int)t.RowLength;
            var x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            var act = new byte[RepackMatMul.ActivationRowBytes(cols)];
            ActivationQuantizer.QuantizeQ8_0(x, act);
            var y = new float[rows];
            fixed (byte* a = act) fixed (float* o = y)
                RepackMatMul.Gemv(t.Type, w.Data, rows, cols, a, o);
            var file = f.GetTensorData(t);
            int rowBytes = (int)t.TypeInfo.RowBytes(cols);
            for (int r = 0; r < rows; r++)
                Assert.Equal(GgmlReferenceDot.Dot(t.Type, file.Slice(r * rowBytes, rowBytes), act, cols), y[r]);
        }
        Assert.True(repacked >= 7, $"{repacked} repacked tensors");
    }

    [Fact]
    public void BaselinePlan_AllocatesNothing_EveryWeightIsTheMappedFile()
    {
        using var f = GgufFile.Open(TestPaths.Require(TestPaths.Micro("micro-llama-Q4_0.gguf")));
        var plan = Planner.Create(PlanInput.FromGguf(f), ModelParams.Default, BackendSet.Default());
        using var weights = LoadedWeights.Load(plan, f);
        Assert.Empty(weights.Buffers);
        foreach (var t in f.Tensors) Assert.True(f.GetTensorPointer(t) == weights[t.Name].Data);
    }

    [Fact]
    public void WithoutMmap_CpuTensorsAreCopiedIntoACpuBuffer()
    {
        using var f = GgufFile.Open(TestPaths.Require(TestPaths.Stories260K));
        var plan = Planner.Create(PlanInput.FromGguf(f), ModelParams.Default with { UseMmap = false }, BackendSet.Default());
        using var weights = LoadedWeights.Load(plan, f);
        Assert.Equal("CPU", Assert.Single(weights.Buffers).Type.Name);
        var t = f.FindTensor("blk.0.ffn_up.weight")!;
        Assert.Equal(f.GetTensorData(t).ToArray(), new ReadOnlySpan<byte>(weights[t.Name].Data, (int)t.ByteSize).ToArray());
        Assert.Equal(GgmlType.F32, t.Type);
    }
}
