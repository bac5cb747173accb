using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// <c>CPU_REPACK</c>: host memory holding Q4_0/Q8_0 matrices in <see cref="RepackLayout"/>, read only
/// by <see cref="RepackMatMul"/>. Accepts a weight only for plain matrix multiplication, and only
/// when its type and shape can be packed.
/// </summary>
public sealed class RepackBufferType(BackendDevice device) : BufferType
{
    public const string TypeName = "CPU_REPACK";

    public override string Name => TypeName;
    public override BackendDevice Device { get; } = device;
    public override bool IsHost => true;
    public override int Alignment => CpuBufferType.TensorAlignment;
    public override bool KeepsFileLayout => false;

    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op)
    {
        if (op != WeightOp.MatMul) return false;
        var dims = tensor.Dimensions;
        if (dims.Length != 2) return false;
        return RepackLayout.CanPack(tensor.Type, dims[0], dims[1]);
    }

    public override BackendBuffer Allocate(long size) => BackendBuffer.AllocateHost(this, size);

    public override unsafe void WriteTensor(byte* destination, GgufTensorInfo tensor, ReadOnlySpan<byte> fileBytes)
    {
        if (!SupportsWeight(tensor, WeightOp.MatMul))
            throw new ArgumentException($"{tensor.Name}: {tensor.Type} {tensor.ShapeString} cannot live in {Name}");
        var dst = new Span<byte>(destination, checked((int)tensor.ByteSize));
        RepackLayout.Pack(tensor.Type, fileBytes, dst, tensor.RowLength, tensor.RowCount);
    }

    /// <summary>Whether <paramref name="type"/> is one this buffer type repacks.</summary>
    public static bool Repacks(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q8_0;
}

/// <summary>Registration of CPU_REPACK. Its scalar kernels run on every CPU, so it is always available.</summary>
public sealed class RepackBufferTypeSource(BackendDevice? device = null) : IExtraBufferTypeSource
{
    public string Name => RepackBufferType.TypeName;

    public ExtraBufferTypeProbe Probe() =>
        ExtraBufferTypeProbe.Available(new RepackBufferType(device ?? new BackendDevice("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0)));
}
