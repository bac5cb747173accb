using System.Text;

namespace SharpInfer.Tests.Format;

/// <summary>
/// Writes GGUF bytes field by field with no validation, so tests can build exactly the malformed
/// file they need (independent of the product's writer).
/// </summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _ms = new();
    private readonly BinaryWriter _w;

    public RawGguf() => _w = new BinaryWriter(_ms, Encoding.UTF8, leaveOpen: true);

    public long Position => _ms.Position;

    public RawGguf Header(uint version = 3, ulong tensors = 0, ulong kvs = 0, uint magic = 0x46554747)
    {
        _w.Write(magic);
        _w.Write(version);
        _w.Write(tensors);
        _w.Write(kvs);
        return this;
    }

    public RawGguf Str(string s) { var b = Encoding.UTF8.GetBytes(s); _w.Write((ulong)b.Length); _w.Write(b); return this; }
    public RawGguf U8(byte v) { _w.Write(v); return this; }
    public RawGguf U32(uint v) { _w.Write(v); return this; }
    public RawGguf U64(ulong v) { _w.Write(v); return this; }

    public RawGguf KvU32(string key, uint v) => Str(key).U32(4).U32(v);
    public RawGguf KvStr(string key, string v) => Str(key).U32(8).Str(v);

    public RawGguf Tensor(string name, uint type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims) U64(d);
        return U32(type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_ms.Length % alignment != 0) _w.Write((byte)0);
        return this;
    }

    public RawGguf Bytes(int count) { _w.Write(new byte[count]); return this; }

    public byte[] ToArray() { _w.Flush(); return _ms.ToArray(); }
}
