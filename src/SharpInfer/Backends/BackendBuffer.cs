using System.Runtime.InteropServices;

namespace SharpInfer.Backends;

/// <summary>A block of memory of one buffer type. Host buffers expose a pointer; dispose to free.</summary>
public sealed unsafe class BackendBuffer : IDisposable
{
    private byte* _data;

    private BackendBuffer(BufferType type, byte* data, long size)
    {
        Type = type;
        _data = data;
        Size = size;
    }

    public BufferType Type { get; }
    public long Size { get; }

    /// <summary>Start of the buffer (host types only).</summary>
    public byte* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(BackendBuffer));

    /// <summary>Allocates zeroed, aligned host memory.</summary>
    public static BackendBuffer AllocateHost(BufferType type, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var bytes = (nuint)Math.Max(size, 1);
        var data = (byte*)NativeMemory.AlignedAlloc(bytes, (nuint)type.Alignment);
        NativeMemory.Clear(data, bytes);
        return new BackendBuffer(type, data, size);
    }

    public void Dispose()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
