using SharpInfer.Numerics;

namespace SharpInfer.Format.Gguf;

/// <summary>
/// One tensor's entry in a GGUF file. <see cref="Dimensions"/> are in ggml order: element 0 is the
/// row length (the contiguous dimension).
/// </summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Dimensions, ulong Offset)
{
    public GgmlTypeInfo TypeInfo => GgmlTypeInfo.Get(Type);

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Elements in one row (dimension 0).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Number of rows (product of the other dimensions).</summary>
    public long RowCount => ElementCount / RowLength;

    public long ByteSize => TypeInfo.RowBytes(RowLength) * RowCount;

    public string ShapeString => "[" + string.Join(", ", Dimensions) + "]";
}
