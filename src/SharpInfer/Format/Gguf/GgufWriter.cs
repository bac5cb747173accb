using System.Text;
using SharpInfer.Numerics;

namespace SharpInfer.Format.Gguf;

/// <summary>
/// Writes GGUF version 3 files: metadata in the order added, tensor infos in the order added, data
/// laid out back to back, each tensor padded to the alignment (as ggml's writer does, so a file
/// read and written again keeps its bytes).
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, ReadOnlyMemory<byte> Data);

    /// <summary>Sets a metadata value; an existing key keeps its position and gets the new value.</summary>
    public GgufWriter Set(string key, GgufValue value)
    {
        for (var i = 0; i < _metadata.Count; i++)
        {
            if (_metadata[i].Key != key) continue;
            _metadata[i] = new(key, value);
            return this;
        }
        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="data"/> must hold exactly its bytes in <paramref name="type"/>'s format.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        var info = new GgufTensorInfo(name, type, dimensions, 0);
        if (dimensions.Length is 0 or > GgufConstants.MaxDimensions)
            throw new ArgumentException($"tensor '{name}' must have 1 to {GgufConstants.MaxDimensions} dimensions");
        if (dimensions[0] % info.TypeInfo.BlockSize != 0)
            throw new ArgumentException($"tensor '{name}': row length {dimensions[0]} is not a multiple of {type}'s block size {info.TypeInfo.BlockSize}");
        if (data.Length != info.ByteSize)
            throw new ArgumentException($"tensor '{name}' needs {info.ByteSize} bytes, got {data.Length}");
        foreach (var t in _tensors)
            if (t.Name == name) throw new ArgumentException($"duplicate tensor name '{name}'");
        _tensors.Add(new(name, type, dimensions, data));
        return this;
    }

    /// <summary>Starts a writer with all metadata of <paramref name="source"/>, in its order.</summary>
    public static GgufWriter CopyMetadataFrom(GgufFile source)
    {
        var w = new GgufWriter();
        foreach (var (k, v) in source.Metadata) w.Set(k, v);
        return w;
    }

    private uint Alignment
    {
        get
        {
            foreach (var (k, v) in _metadata)
                if (k == GgufConstants.AlignmentKey && v.Value is uint a && a != 0 && (a & (a - 1)) == 0) return a;
            return GgufConstants.DefaultAlignment;
        }
    }

    public void WriteTo(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(stream);
    }

    public void WriteTo(Stream stream)
    {
        var alignment = Alignment;
        var header = new MemoryStream();
        var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufConstants.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value.Type, value.Value);
        }

        ulong offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dimensions.Length);
            foreach (var d in t.Dimensions) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write(offset);
            offset += AlignUp((ulong)t.Data.Length, alignment);
        }
        w.Flush();
        // The data section starts aligned; a file without tensors has none, and is left unpadded
        // (as llama.cpp's vocab-only files are).
        if (_tensors.Count > 0) Pad(header, alignment);
        header.Position = 0;
        header.CopyTo(stream);

        foreach (var t in _tensors)
        {
            stream.Write(t.Data.Span);
            var padding = (int)(AlignUp((ulong)t.Data.Length, alignment) - (ulong)t.Data.Length);
            if (padding > 0) stream.Write(new byte[padding]);
        }
    }

    private static ulong AlignUp(ulong v, uint a) => (v + a - 1) / a * a;

    private static void Pad(Stream s, uint alignment)
    {
        var padding = (int)(AlignUp((ulong)s.Length, alignment) - (ulong)s.Length);
        if (padding > 0) s.Write(new byte[padding]);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)value); break;
            case GgufValueType.Int8: w.Write((sbyte)value); break;
            case GgufValueType.UInt16: w.Write((ushort)value); break;
            case GgufValueType.Int16: w.Write((short)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt64: w.Write((ulong)value); break;
            case GgufValueType.Int64: w.Write((long)value); break;
            case GgufValueType.Float64: w.Write((double)value); break;
            case GgufValueType.Array:
            {
                var a = (GgufArray)value;
                w.Write((uint)a.ElementType);
                w.Write((ulong)a.Count);
                foreach (var item in a.Items) WriteValue(w, a.ElementType, item!);
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "unknown GGUF value type");
        }
    }

}
