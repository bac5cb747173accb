using SharpInfer.Format.Gguf;

namespace SharpInfer.Backends;

/// <summary>
/// A kind of memory a backend can hold weights in, and the layout the weights take there.
/// A buffer type that repacks on write (<see cref="KeepsFileLayout"/> false) owns its bytes: they
/// cannot be read back in the file's format and only its own kernels may read them.
/// </summary>
public abstract class BufferType
{
    /// <summary>Name as llama.cpp prints it (<c>CPU</c>, <c>CPU_REPACK</c>, <c>AMX</c>, <c>CUDA0</c>, <c>CUDA_Host</c>, …).</summary>
    public abstract string Name { get; }

    /// <summary>The device whose memory this is (the CPU for host types, pinned ones included).</summary>
    public abstract BackendDevice Device { get; }

    /// <summary>Whether the CPU can address the bytes directly.</summary>
    public abstract bool IsHost { get; }

    /// <summary>Every tensor in a buffer of this type starts at a multiple of this many bytes.</summary>
    public abstract int Alignment { get; }

    /// <summary>Whether a tensor's bytes are stored exactly as in the file (false: repacked on write).</summary>
    public virtual bool KeepsFileLayout => true;

    /// <summary>Whether this type accepts <paramref name="tensor"/> as a weight of <paramref name="op"/>.</summary>
    public abstract bool SupportsWeight(GgufTensorInfo tensor, WeightOp op);

    /// <summary>Bytes the tensor takes in this buffer type, before alignment.</summary>
    public virtual long GetAllocSize(GgufTensorInfo tensor) => tensor.ByteSize;

    /// <summary>Allocates a buffer of <paramref name="size"/> bytes.</summary>
    public abstract BackendBuffer Allocate(long size);

    /// <summary>
    /// Writes a tensor's file bytes to <paramref name="destination"/> (inside a buffer of this type),
    /// converting them to this type's layout. The default copies them unchanged.
    /// </summary>
    public virtual unsafe void WriteTensor(byte* destination, GgufTensorInfo tensor, ReadOnlySpan<byte> fileBytes)
    {
        if (fileBytes.Length != tensor.ByteSize)
            throw new ArgumentException($"{tensor.Name}: got {fileBytes.Length} bytes, expected {tensor.ByteSize}");
        fileBytes.CopyTo(new Span<byte>(destination, checked((int)fileBytes.Length)));
    }

    /// <summary>Rounds <paramref name="size"/> up to <see cref="Alignment"/>.</summary>
    public long AlignUp(long size) => (size + Alignment - 1) / Alignment * Alignment;

    public override string ToString() => Name;
}
