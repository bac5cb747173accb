using SharpInfer.Format.Gguf;

namespace SharpInfer.Backends.Gpu;

/// <summary>A GPU's own memory (<c>CUDA0</c>): accepts every weight in the file's layout.</summary>
public sealed class GpuDeviceBufferType(BackendDevice device) : BufferType
{
    /// <summary>ggml-cuda pads quantized rows to this many elements so kernels may read past the row end.</summary>
    public const int MatrixRowPadding = 512;

    public override string Name => Device.Name;
    public override BackendDevice Device { get; } = device;
    public override bool IsHost => false;
    public override int Alignment => 128;
    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op) => true;

    /// <summary>As ggml-cuda: a quantized tensor whose row length is not a multiple of 512 gets one row's worth of padding.</summary>
    public override long GetAllocSize(GgufTensorInfo tensor)
    {
        long size = tensor.ByteSize;
        long ne0 = tensor.RowLength;
        if (tensor.TypeInfo.IsQuantized && ne0 % MatrixRowPadding != 0)
            size += tensor.TypeInfo.RowBytes(MatrixRowPadding - ne0 % MatrixRowPadding);
        return size;
    }

    public override BackendBuffer Allocate(long size) =>
        throw new NotSupportedException($"{Name}: no GPU runtime in this build ({Device.Description})");
}
