using SharpInfer.Numerics;

namespace SharpInfer.Format.Gguf;

/// <summary>
/// An open, validated GGUF file (version 2 or 3): metadata, tensor infos, and zero-copy access to
/// tensor data. Dispose it to unmap the file; spans it handed out are invalid afterwards.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly FileMemory _memory;
    private readonly Dictionary<string, GgufValue> _metadataByKey;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(string path, FileMemory memory, GgufHeader header, IReadOnlyList<string> warnings)
    {
        Path = path;
        _memory = memory;
        Version = header.Version;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        Warnings = warnings;
        _metadataByKey = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        foreach (var (k, v) in header.Metadata) _metadataByKey[k] = v;
        _tensorsByName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in header.Tensors) _tensorsByName[t.Name] = t;
    }

    /// <summary>Opens and validates a file; throws <see cref="GgufFormatException"/> when it is malformed.</summary>
    public static GgufFile Open(string path, GgufLoadOptions? options = null)
    {
        options ??= GgufLoadOptions.Default;
        if (!BitConverter.IsLittleEndian) throw new SharpInferException("SharpInfer requires a little-endian CPU");
        var memory = FileMemory.Open(path, options.UseMmap, options.ReadProgress);
        try
        {
            var header = GgufParser.Parse(memory.Pointer, memory.Length, path);
            var warnings = new List<string>();
            if (options.UseMlock && memory.TryLock() is { } why) warnings.Add($"warning: --mlock: {why}");
            return new GgufFile(path, memory, header, warnings);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public uint Version { get; }
    public uint Alignment { get; }

    /// <summary>Byte offset of the data section in the file.</summary>
    public long DataOffset { get; }

    public long FileSize => _memory.Length;

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Non-fatal problems met while opening (for example an mlock the OS refused).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public GgufValue? GetValue(string key) => _metadataByKey.GetValueOrDefault(key);

    public bool ContainsKey(string key) => _metadataByKey.ContainsKey(key);

    public string? GetString(string key) => GetValue(key)?.Value as string;

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    /// <summary>The architecture name (<c>general.architecture</c>), or null.</summary>
    public string? Architecture => GetString("general.architecture");

    /// <summary>The bytes of one tensor, in the file's format.</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor) =>
        new(GetTensorPointer(tensor), checked((int)tensor.ByteSize));

    /// <summary>Address of a tensor's bytes, valid until the file is disposed.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_memory.Pointer == null, this);
        return _memory.Pointer + DataOffset + (long)tensor.Offset;
    }

    /// <summary>Total parameters (elements) over all tensors.</summary>
    public long ParameterCount
    {
        get
        {
            long n = 0;
            foreach (var t in Tensors) n += t.ElementCount;
            return n;
        }
    }

    public void Dispose() => _memory.Dispose();
}
