using SharpInfer.Backends;
using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Models;

/// <summary>
/// A 2-D weight where the plan put it: <see cref="Rows"/> rows of <see cref="Columns"/> elements
/// (ggml's ne1 × ne0), multiplied as y = W·x. <see cref="BufferType"/> owns the layout of the bytes:
/// in the file's layout they are used row by row; otherwise only that type's kernels read them.
/// </summary>
public sealed unsafe class WeightMatrix
{
    internal WeightMatrix(GgufTensorInfo info, BufferType bufferType, byte* data)
    {
        Info = info;
        BufferType = bufferType;
        Data = data;
        Columns = checked((int)info.Dimensions[0]);
        Rows = checked((int)info.RowCount);
        RowBytes = info.TypeInfo.RowBytes(Columns);
    }

    public GgufTensorInfo Info { get; }
    public string Name => Info.Name;
    public GgmlType Type => Info.Type;

    /// <summary>The buffer type the plan chose (CPU, CPU_REPACK, AMX, …).</summary>
    public BufferType BufferType { get; }

    /// <summary>Whether the bytes are in the file's layout (readable row by row).</summary>
    public bool KeepsFileLayout => BufferType.KeepsFileLayout;

    /// <summary>Elements per row: the length of the input vector.</summary>
    public int Columns { get; }

    /// <summary>Number of rows: the length of the output vector.</summary>
    public int Rows { get; }

    public long RowBytes { get; }

    /// <summary>Start of the weight's bytes (valid while the model is open).</summary>
    internal byte* Data { get; }

    /// <summary>Row <paramref name="r"/> in the file's format; only for weights that keep the file's layout.</summary>
    internal byte* Row(int r)
    {
        if (!BufferType.KeepsFileLayout)
            throw new InvalidOperationException($"{Name} lives in {BufferType.Name}: its bytes are repacked and have no file-layout rows");
        return Data + r * RowBytes;
    }
}
