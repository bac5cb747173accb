using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace SharpInfer.Format.Gguf;

/// <summary>A whole file's bytes at a fixed address: memory-mapped, or read into aligned native memory.</summary>
internal abstract unsafe class FileMemory : IDisposable
{
    public byte* Pointer { get; protected set; }
    public long Length { get; protected set; }

    public abstract void Dispose();

    public static FileMemory Open(string path, bool useMmap, Action<float>? readProgress = null)
    {
        long length;
        try
        {
            length = new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SharpInferException($"{path}: cannot open: {e.Message}", e);
        }
        if (!File.Exists(path)) throw new SharpInferException($"{path}: no such file");
        if (length == 0) return new EmptyMemory();
        try
        {
            return useMmap ? new MappedMemory(path, length) : new NativeMemoryCopy(path, length, readProgress);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SharpInferException($"{path}: cannot read: {e.Message}", e);
        }
    }

    /// <summary>Locks the pages in RAM (Linux mlock). Returns null on success, else why it failed.</summary>
    public string? TryLock()
    {
        if (Length == 0) return null;
        if (!OperatingSystem.IsLinux()) return "memory locking is only implemented on Linux";
        if (mlock(Pointer, (nuint)Length) == 0) return null;
        var errno = Marshal.GetLastPInvokeError();
        return $"mlock of {Length} bytes failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}; try raising 'ulimit -l')";
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mlock(void* addr, nuint len);

    private sealed class EmptyMemory : FileMemory
    {
        public override void Dispose() { }
    }

    private sealed class MappedMemory : FileMemory
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;

        public MappedMemory(string path, long length)
        {
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Pointer = p + _view.PointerOffset;
            Length = length;
        }

        public override void Dispose()
        {
            if (Pointer == null) return;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
            Pointer = null;
        }
    }

    private sealed class NativeMemoryCopy : FileMemory
    {
        public NativeMemoryCopy(string path, long length, Action<float>? progress)
        {
            Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
            Length = length;
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
                long done = 0;
                while (done < length)
                {
                    var chunk = (int)Math.Min(64 << 20, length - done);
                    var n = RandomAccess.Read(handle, new Span<byte>(Pointer + done, chunk), done);
                    if (n <= 0) throw new IOException($"file shrank while reading (got {done} of {length} bytes)");
                    done += n;
                    progress?.Invoke(done / (float)length);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override void Dispose()
        {
            if (Pointer == null) return;
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
