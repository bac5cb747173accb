using System.Buffers.Binary;
using System.Text;
using SharpInfer.Numerics;

namespace SharpInfer.Format.Gguf;

/// <summary>The parsed header of a GGUF file: everything but the tensor data.</summary>
internal sealed record GgufHeader(
    uint Version,
    IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors,
    uint Alignment,
    long DataOffset);

/// <summary>
/// Reads and validates a GGUF header from memory. Every check that can fail names the byte offset;
/// every count is weighed against the bytes that remain before anything is allocated for it.
/// </summary>
internal unsafe ref struct GgufParser
{
    private const int MaxArrayNesting = 8;

    private readonly byte* _data;
    private readonly long _length;
    private readonly string _path;
    private long _pos;

    private GgufParser(byte* data, long length, string path)
    {
        _data = data;
        _length = length;
        _path = path;
        _pos = 0;
    }

    public static GgufHeader Parse(byte* data, long length, string path) => new GgufParser(data, length, path).ParseHeader();

    private GgufHeader ParseHeader()
    {
        if (_length == 0) throw Fail(0, "the file is empty");
        if (_length < 4) throw Fail(0, $"the file is {_length} bytes long, too short for the GGUF magic");
        var magic = ReadUInt32("magic");
        if (magic != GgufConstants.Magic)
            throw Fail(0, $"bad magic 0x{magic:X8} ({Printable(0, 4)}), expected \"GGUF\"");

        var versionAt = _pos;
        var version = ReadUInt32("version");
        if (version == 1) throw Fail(versionAt, "GGUF v1 is not supported (only versions 2 and 3 are)");
        if (version is not (2 or 3))
        {
            var swapped = BinaryPrimitives.ReverseEndianness(version);
            if (swapped is >= 1 and <= 3)
                throw Fail(versionAt, $"big-endian GGUF files are not supported (version field reads {swapped} byte-swapped)");
            throw Fail(versionAt, $"unsupported GGUF version {version} (only versions 2 and 3 are supported)");
        }

        var tensorCountAt = _pos;
        var tensorCount = ReadUInt64("tensor count");
        var kvCountAt = _pos;
        var kvCount = ReadUInt64("metadata count");
        // Minimal encodings: a key-value is 8 (key length) + 4 (type) + 1; a tensor info is 8 + 4 + 4 + 8.
        CheckCount(kvCountAt, kvCount, 13, "metadata entries");
        CheckCount(tensorCountAt, tensorCount, 24, "tensors");

        var metadata = new List<KeyValuePair<string, GgufValue>>((int)kvCount);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var keyAt = _pos;
            var key = ReadString("metadata key");
            if (key.Length == 0) throw Fail(keyAt, $"metadata entry {i} has an empty key");
            if (!keys.Add(key)) throw Fail(keyAt, $"duplicate metadata key '{key}'");
            var typeAt = _pos;
            var type = ReadValueType($"type of '{key}'");
            var value = ReadValue(type, key, typeAt, 0);
            metadata.Add(new(key, value));
        }

        var alignment = GgufConstants.DefaultAlignment;
        foreach (var (key, value) in metadata)
        {
            if (key != GgufConstants.AlignmentKey) continue;
            if (value.Type != GgufValueType.UInt32)
                throw Fail(0, $"'{GgufConstants.AlignmentKey}' must be a uint32, found {value.Type}");
            alignment = (uint)value.Value;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                throw Fail(0, $"'{GgufConstants.AlignmentKey}' = {alignment} is not a power of two");
        }

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var infoAt = _pos;
            var tensor = ReadTensorInfo(i, alignment);
            if (!names.Add(tensor.Name)) throw Fail(infoAt, $"duplicate tensor name '{tensor.Name}'");
            tensors.Add(tensor);
        }

        var dataOffset = AlignUp(_pos, alignment);
        CheckTensorExtents(tensors, dataOffset);
        return new GgufHeader(version, metadata, tensors, alignment, dataOffset);
    }

    private GgufTensorInfo ReadTensorInfo(ulong index, uint alignment)
    {
        var nameAt = _pos;
        var name = ReadString($"name of tensor {index}");
        if (name.Length == 0) throw Fail(nameAt, $"tensor {index} has an empty name");
        var dimsAt = _pos;
        var nDims = ReadUInt32($"dimension count of '{name}'");
        if (nDims > GgufConstants.MaxDimensions)
            throw Fail(dimsAt, $"tensor '{name}' has {nDims} dimensions, at most {GgufConstants.MaxDimensions} are allowed");
        if (nDims == 0) throw Fail(dimsAt, $"tensor '{name}' has no dimensions");

        var dims = new long[nDims];
        long elements = 1;
        for (var d = 0; d < nDims; d++)
        {
            var at = _pos;
            var raw = ReadUInt64($"dimension {d} of '{name}'");
            if (raw == 0) throw Fail(at, $"tensor '{name}' has dimension {d} of size 0");
            if (raw > long.MaxValue) throw Fail(at, $"tensor '{name}' has a negative dimension {d} ({(long)raw})");
            dims[d] = (long)raw;
            if (elements > long.MaxValue / dims[d])
                throw Fail(at, $"tensor '{name}' element count overflows 64 bits");
            elements *= dims[d];
        }

        var typeAt = _pos;
        var typeId = ReadUInt32($"type of '{name}'");
        var info = GgmlTypeInfo.TryGet(typeId) ?? throw Fail(typeAt, $"tensor '{name}' has unknown ggml type id {typeId}");
        if (dims[0] % info.BlockSize != 0)
            throw Fail(typeAt, $"tensor '{name}' of type {info.Name} has rows of {dims[0]} elements, not a multiple of the block size {info.BlockSize}");
        if (elements / info.BlockSize > long.MaxValue / info.BytesPerBlock)
            throw Fail(typeAt, $"tensor '{name}' byte size overflows 64 bits");

        var offsetAt = _pos;
        var offset = ReadUInt64($"data offset of '{name}'");
        if (offset % alignment != 0)
            throw Fail(offsetAt, $"tensor '{name}' data offset {offset} is not a multiple of the alignment {alignment}");
        return new GgufTensorInfo(name, info.Type, dims, offset);
    }

    private void CheckTensorExtents(List<GgufTensorInfo> tensors, long dataOffset)
    {
        if (tensors.Count == 0) return;
        var available = _length - dataOffset;
        if (available < 0) throw Fail(_length, $"the data section should start at byte {dataOffset}, past the end of the file");
        var byOffset = tensors.ToArray();
        Array.Sort(byOffset, (a, b) => a.Offset.CompareTo(b.Offset));
        ulong previousEnd = 0;
        GgufTensorInfo? previous = null;
        foreach (var t in byOffset)
        {
            var size = (ulong)t.ByteSize;
            if (t.Offset > (ulong)available || size > (ulong)available - t.Offset)
                throw Fail(dataOffset + (long)Math.Min(t.Offset, (ulong)available),
                    $"data of tensor '{t.Name}' ({size} bytes at data offset {t.Offset}) runs past the end of the file ({available} bytes of data)");
            if (previous is not null && t.Offset < previousEnd)
                throw Fail(dataOffset + (long)t.Offset, $"data of tensor '{t.Name}' overlaps tensor '{previous.Name}'");
            previousEnd = t.Offset + size;
            previous = t;
        }
    }

    private GgufValue ReadValue(GgufValueType type, string key, long typeAt, int depth)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return new(type, Read(1, key)[0]);
            case GgufValueType.Int8: return new(type, (sbyte)Read(1, key)[0]);
            case GgufValueType.UInt16: return new(type, BinaryPrimitives.ReadUInt16LittleEndian(Read(2, key)));
            case GgufValueType.Int16: return new(type, BinaryPrimitives.ReadInt16LittleEndian(Read(2, key)));
            case GgufValueType.UInt32: return new(type, ReadUInt32(key));
            case GgufValueType.Int32: return new(type, BinaryPrimitives.ReadInt32LittleEndian(Read(4, key)));
            case GgufValueType.Float32: return new(type, BinaryPrimitives.ReadSingleLittleEndian(Read(4, key)));
            case GgufValueType.UInt64: return new(type, ReadUInt64(key));
            case GgufValueType.Int64: return new(type, BinaryPrimitives.ReadInt64LittleEndian(Read(8, key)));
            case GgufValueType.Float64: return new(type, BinaryPrimitives.ReadDoubleLittleEndian(Read(8, key)));
            case GgufValueType.Bool:
            {
                var at = _pos;
                var b = Read(1, key)[0];
                if (b > 1) throw Fail(at, $"'{key}' is a bool with value {b} (must be 0 or 1)");
                return new(type, b == 1);
            }
            case GgufValueType.String: return new(type, ReadString(key));
            case GgufValueType.Array: return new(type, ReadArray(key, depth));
            default: throw Fail(typeAt, $"'{key}' has unknown value type {(uint)type}");
        }
    }

    private GgufArray ReadArray(string key, int depth)
    {
        if (depth >= MaxArrayNesting) throw Fail(_pos, $"'{key}' nests arrays deeper than {MaxArrayNesting} levels");
        var typeAt = _pos;
        var elementType = ReadValueType($"element type of '{key}'");
        var countAt = _pos;
        var count = ReadUInt64($"length of '{key}'");
        CheckCount(countAt, count, GgufValueTypeFacts.MinEncodedSize(elementType), $"items in '{key}'");
        var n = (int)count;
        switch (elementType)
        {
            case GgufValueType.String:
            {
                var items = new string[n];
                for (var i = 0; i < n; i++) items[i] = ReadString(key);
                return new(elementType, items);
            }
            case GgufValueType.Array:
            {
                var items = new GgufArray[n];
                for (var i = 0; i < n; i++) items[i] = ReadArray(key, depth + 1);
                return new(elementType, items);
            }
            case GgufValueType.Bool:
            {
                var items = new bool[n];
                for (var i = 0; i < n; i++) items[i] = (bool)ReadValue(elementType, key, typeAt, depth).Value;
                return new(elementType, items);
            }
            default:
                return new(elementType, ReadScalarArray(elementType, n, key));
        }
    }

    private Array ReadScalarArray(GgufValueType type, int n, string key)
    {
        var bytes = Read((long)n * GgufValueTypeFacts.ScalarSize(type), key);
        return type switch
        {
            GgufValueType.UInt8 => bytes.ToArray(),
            GgufValueType.Int8 => Cast<sbyte>(bytes, n),
            GgufValueType.UInt16 => Cast<ushort>(bytes, n),
            GgufValueType.Int16 => Cast<short>(bytes, n),
            GgufValueType.UInt32 => Cast<uint>(bytes, n),
            GgufValueType.Int32 => Cast<int>(bytes, n),
            GgufValueType.Float32 => Cast<float>(bytes, n),
            GgufValueType.UInt64 => Cast<ulong>(bytes, n),
            GgufValueType.Int64 => Cast<long>(bytes, n),
            GgufValueType.Float64 => Cast<double>(bytes, n),
            _ => throw new InvalidOperationException($"not a scalar type: {type}"),
        };
    }

    // GGUF is little-endian, and so is every platform .NET runs this library on (checked at load).
    private static T[] Cast<T>(ReadOnlySpan<byte> bytes, int n) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes)[..n].ToArray();

    private GgufValueType ReadValueType(string what)
    {
        var at = _pos;
        var raw = ReadUInt32(what);
        if (raw >= GgufValueTypeFacts.Count) throw Fail(at, $"unknown metadata value type {raw} for {what}");
        return (GgufValueType)raw;
    }

    private string ReadString(string what)
    {
        var at = _pos;
        var len = ReadUInt64($"length of {what}");
        if (len > (ulong)(_length - _pos))
            throw Fail(at, $"{what}: string length {len} runs past the end of the file ({_length - _pos} bytes left)");
        if (len > int.MaxValue) throw Fail(at, $"{what}: string length {len} is too large");
        return Encoding.UTF8.GetString(Read((long)len, what));
    }

    private uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Read(4, what));

    private ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Read(8, what));

    private ReadOnlySpan<byte> Read(long count, string what)
    {
        if (count > _length - _pos)
            throw Fail(_pos, $"unexpected end of file while reading {what} ({count} bytes needed, {_length - _pos} left)");
        var span = new ReadOnlySpan<byte>(_data + _pos, checked((int)count));
        _pos += count;
        return span;
    }

    private void CheckCount(long at, ulong count, int minItemBytes, string what)
    {
        var left = (ulong)(_length - _pos);
        if (count > int.MaxValue || count * (ulong)Math.Max(1, minItemBytes) > left)
            throw Fail(at, $"count of {what} ({count}) cannot fit in the {left} bytes left in the file");
    }

    private static long AlignUp(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    private string Printable(long at, int n)
    {
        var sb = new StringBuilder("\"");
        for (var i = 0; i < n && at + i < _length; i++)
        {
            var b = _data[at + i];
            sb.Append(b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:x2}");
        }
        return sb.Append('"').ToString();
    }

    private GgufFormatException Fail(long offset, string problem) => new(_path, offset, problem);
}
