using SharpInfer.Format.Gguf;

namespace SharpInfer.Backends.Cpu;

/// <summary>Plain host memory in the file's layout (ggml's <c>CPU</c> buffer type): accepts every weight.</summary>
public sealed class CpuBufferType : BufferType
{
    /// <summary>ggml's TENSOR_ALIGNMENT.</summary>
    public const int TensorAlignment = 32;

    public CpuBufferType(BackendDevice device) => Device = device;

    public override string Name => "CPU";
    public override BackendDevice Device { get; }
    public override bool IsHost => true;
    public override int Alignment => TensorAlignment;
    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op) => true;
    public override BackendBuffer Allocate(long size) => BackendBuffer.AllocateHost(this, size);
}
