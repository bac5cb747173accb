using SharpInfer.Format.Gguf;

namespace SharpInfer.Backends.Gpu;

/// <summary>
/// Row-split memory (<c>CUDA_Split</c>, <c>-sm row</c>): each matrix is divided by rows over the
/// GPUs. As in ggml-cuda, only plain 2-D matrix-multiplication weights can live there.
/// </summary>
public sealed class GpuSplitBufferType(BackendDevice mainDevice) : BufferType
{
    public override string Name { get; } = mainDevice.Family + "_Split";
    public override BackendDevice Device { get; } = mainDevice;
    public override bool IsHost => false;
    public override int Alignment => 128;

    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op) =>
        op == WeightOp.MatMul && tensor.Dimensions.Length <= 2;

    public override BackendBuffer Allocate(long size) =>
        throw new NotSupportedException($"{Name}: no GPU runtime in this build");
}
