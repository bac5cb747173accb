using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Models;

/// <summary>
/// A 2-D weight in the file's format: <see cref="Rows"/> rows of <see cref="Columns"/> elements
/// (ggml's ne1 × ne0), multiplied as y = W·x. The bytes stay where the GGUF file maps them.
/// </summary>
public sealed unsafe class WeightMatrix
{
    internal WeightMatrix(GgufTensorInfo info, byte* data)
    {
        Info = info;
        Data = data;
        Columns = checked((int)info.Dimensions[0]);
        Rows = checked((int)info.RowCount);
        RowBytes = info.TypeInfo.RowBytes(Columns);
    }

    public GgufTensorInfo Info { get; }
    public string Name => Info.Name;
    public GgmlType Type => Info.Type;

    /// <summary>Elements per row: the length of the input vector.</summary>
    public int Columns { get; }

    /// <summary>Number of rows: the length of the output vector.</summary>
    public int Rows { get; }

    public long RowBytes { get; }

    /// <summary>Start of the weight's bytes (valid while the model is open).</summary>
    internal byte* Data { get; }

    internal byte* Row(int r) => Data + r * RowBytes;
}
