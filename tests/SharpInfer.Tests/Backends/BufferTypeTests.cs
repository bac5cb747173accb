using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Backends.Gpu;
using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Backends;

public unsafe class BufferTypeTests
{
    private static readonly BackendDevice Cpu = new("CPU", DeviceKind.Cpu, "CPU", "host", 0, 0);
    private static GgufTensorInfo T(GgmlType type, params long[] dims) => new("blk.0.attn_q.weight", type, dims, 0);

    [Fact]
    public void Repack_AcceptsOnlyPackableMatMulWeights()
    {
        var repack = new RepackBufferType(Cpu);
        Assert.True(repack.SupportsWeight(T(GgmlType.Q4_0, 64, 16), WeightOp.MatMul));
        Assert.True(repack.SupportsWeight(T(GgmlType.Q8_0, 2048, 512), WeightOp.MatMul));
        Assert.False(repack.SupportsWeight(T(GgmlType.Q4_0, 64, 12), WeightOp.MatMul));      // rows not a multiple of 8
        Assert.False(repack.SupportsWeight(T(GgmlType.Q4_0, 64, 16), WeightOp.GetRows));     // not a matmul
        Assert.False(repack.SupportsWeight(T(GgmlType.Q4_0, 64, 16), WeightOp.MatMulId));
        Assert.False(repack.SupportsWeight(T(GgmlType.Q4_0, 64, 16, 4), WeightOp.MatMul));   // 3-D
        Assert.False(repack.SupportsWeight(T(GgmlType.Q4_K, 256, 16), WeightOp.MatMul));     // type
        Assert.False(repack.SupportsWeight(T(GgmlType.F32, 64, 16), WeightOp.MatMul));
        Assert.False(repack.SupportsWeight(T(GgmlType.F32, 64), WeightOp.Mul));
        Assert.False(repack.KeepsFileLayout);
    }

    [Fact]
    public void Repack_WritesThePackedLayout_CpuWritesTheFileBytes()
    {
        var t = T(GgmlType.Q4_0, 64, 8);
        var file = new byte[t.ByteSize];
        new Random(1).NextBytes(file);
        var expected = new byte[file.Length];
        RepackLayout.Pack(GgmlType.Q4_0, file, expected, 64, 8);

        var repack = new RepackBufferType(Cpu);
        using var buffer = repack.Allocate(repack.AlignUp(repack.GetAllocSize(t)));
        repack.WriteTensor(buffer.Data, t, file);
        Assert.Equal(expected, new ReadOnlySpan<byte>(buffer.Data, file.Length).ToArray());

        var cpu = new CpuBufferType(Cpu);
        using var plain = cpu.Allocate(file.Length);
        cpu.WriteTensor(plain.Data, t, file);
        Assert.Equal(file, new ReadOnlySpan<byte>(plain.Data, file.Length).ToArray());
        Assert.Equal(0, (long)plain.Data % cpu.Alignment);
    }

    [Fact]
    public void DefaultCpu_RegistersAmxThenRepack_WithoutProbing()
    {
        var cpu = CpuBackend.CreateDefault();
        Assert.Equal(["AMX", "CPU_REPACK"], cpu.ExtraBufferTypes.Select(s => s.Name));
        var amx = cpu.ExtraBufferTypes[0].Probe();
        // AMX exists only where the CPU and OS offer it; elsewhere the probe says why.
        if (SharpInfer.Backends.Cpu.Amx.AmxSupport.Status.IsAvailable) Assert.NotNull(amx.Type);
        else Assert.Equal(SharpInfer.Backends.Cpu.Amx.AmxSupport.Status.Reason, amx.MissingReason);
        Assert.IsType<RepackBufferType>(cpu.ExtraBufferTypes[1].Probe().Type);
        Assert.Empty(CpuBackend.CreateWithoutExtras().ExtraBufferTypes);
        Assert.Equal("CPU", cpu.DefaultBufferType.Name);
        Assert.Null(cpu.HostBufferType);
    }

    [Fact]
    public void AmxRegistrationPoint_GoesFirst()
    {
        var amx = new MissingExtraBufferType("AMX", "test");
        var cpu = CpuBackend.CreateDefault(amx);
        Assert.Same(amx, cpu.ExtraBufferTypes[0]);
    }

    [Fact]
    public void Gpu_OffersDeviceHostAndSplitTypes()
    {
        var dev = BackendDevice.SimulatedGpu(1, 8L << 30, 6L << 30);
        var gpu = new GpuBackend(dev);
        Assert.Equal("CUDA1", gpu.DefaultBufferType.Name);
        Assert.False(gpu.DefaultBufferType.IsHost);
        Assert.Equal("CUDA_Host", gpu.HostBufferType.Name);
        Assert.True(gpu.HostBufferType.IsHost);
        var split = new GpuSplitBufferType(dev);
        Assert.Equal("CUDA_Split", split.Name);
        Assert.True(split.SupportsWeight(T(GgmlType.Q4_K, 256, 16), WeightOp.MatMul));
        Assert.False(split.SupportsWeight(T(GgmlType.Q4_K, 256, 16, 8), WeightOp.MatMulId));
        Assert.False(split.SupportsWeight(T(GgmlType.F32, 256), WeightOp.Mul));
        Assert.Throws<NotSupportedException>(() => gpu.DefaultBufferType.Allocate(16));
        // ggml-cuda pads a quantized row whose length is not a multiple of 512
        Assert.Equal(T(GgmlType.Q4_0, 896, 8).ByteSize + 18 * 4, gpu.DefaultBufferType.GetAllocSize(T(GgmlType.Q4_0, 896, 8)));
        Assert.Equal(T(GgmlType.Q4_0, 1024, 8).ByteSize, gpu.DefaultBufferType.GetAllocSize(T(GgmlType.Q4_0, 1024, 8)));
    }
}
