using SharpInfer.Backends.Cpu;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Backends.Gpu;

/// <summary>
/// Pinned host memory of a GPU family (<c>CUDA_Host</c>): host bytes in the file's layout that the
/// GPU copies from quickly. Allocated here as ordinary aligned host memory (pinning belongs to a GPU runtime).
/// </summary>
public sealed class GpuHostBufferType(string family) : BufferType
{
    private static readonly BackendDevice Host = new("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0);

    public override string Name { get; } = family + "_Host";
    public override BackendDevice Device => Host;
    public override bool IsHost => true;
    public override int Alignment => CpuBufferType.TensorAlignment;
    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op) => true;
    public override BackendBuffer Allocate(long size) => BackendBuffer.AllocateHost(this, size);
}
