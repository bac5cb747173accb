using System.Buffers.Binary;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Numerics;

/// <summary>One NaN or infinity found by <see cref="TensorValidator"/>.</summary>
/// <param name="Tensor">Tensor name.</param>
/// <param name="Block">Element index for plain types; block index for quantized types.</param>
/// <param name="What">What is wrong ("NaN value", "infinite scale d" …).</param>
public sealed record TensorValueProblem(string Tensor, long Block, string What)
{
    public override string ToString() => $"tensor {Tensor}: {What} in block {Block}";
}

/// <summary>
/// llama.cpp's <c>--check-tensors</c> (ggml's validate_row_data): finds NaN and Inf in F32/F16/BF16
/// data and in the fp16/fp32 scales of quantized blocks. The scale positions are the block layouts'.
/// </summary>
public static class TensorValidator
{
    private enum Scale { F16, F32, E8M0 }

    /// <summary>(offset, kind, name) of each scale field in a block, per quantized type.</summary>
    private static (int Offset, Scale Kind, string Name)[] ScaleFields(GgmlType t) => t switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.IQ2_XXS
            or GgmlType.IQ2_XS or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ2_S or GgmlType.IQ1_S => [(0, Scale.F16, "d")],
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [(0, Scale.F16, "d"), (2, Scale.F16, "dmin")],
        GgmlType.Q8_1 => [(0, Scale.F16, "d"), (2, Scale.F16, "s")],
        GgmlType.Q2_K => [(80, Scale.F16, "d"), (82, Scale.F16, "dmin")],
        GgmlType.Q3_K => [(108, Scale.F16, "d")],
        GgmlType.Q6_K => [(208, Scale.F16, "d")],
        GgmlType.Q8_K => [(0, Scale.F32, "d")],
        GgmlType.TQ1_0 => [(52, Scale.F16, "d")],
        GgmlType.TQ2_0 => [(64, Scale.F16, "d")],
        GgmlType.MXFP4 => [(0, Scale.E8M0, "e")],
        _ => [],
    };

    /// <summary>Scans every tensor of the file; returns at most <paramref name="limit"/> problems.</summary>
    public static IReadOnlyList<TensorValueProblem> Scan(GgufFile file, int limit = 100)
    {
        var problems = new List<TensorValueProblem>();
        foreach (var t in file.Tensors)
        {
            ScanTensor(t, file.GetTensorData(t), problems, limit);
            if (problems.Count >= limit) break;
        }
        return problems;
    }

    public static void ScanTensor(GgufTensorInfo t, ReadOnlySpan<byte> data, List<TensorValueProblem> problems, int limit = int.MaxValue)
    {
        var info = t.TypeInfo;
        if (!info.IsQuantized)
        {
            ScanPlain(t, data, problems, limit);
            return;
        }
        var fields = ScaleFields(t.Type);
        var blocks = data.Length / info.BytesPerBlock;
        for (var b = 0; b < blocks && problems.Count < limit; b++)
        {
            var block = data.Slice(b * info.BytesPerBlock, info.BytesPerBlock);
            foreach (var (offset, kind, name) in fields)
            {
                var v = kind switch
                {
                    Scale.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(block[offset..]),
                    Scale.F32 => BinaryPrimitives.ReadSingleLittleEndian(block[offset..]),
                    _ => block[offset] == 0xFF ? float.NaN : 0f,
                };
                if (!float.IsFinite(v)) problems.Add(new(t.Name, b, $"{(float.IsNaN(v) ? "NaN" : "infinite")} scale {name}"));
            }
        }
    }

    private static void ScanPlain(GgufTensorInfo t, ReadOnlySpan<byte> data, List<TensorValueProblem> problems, int limit)
    {
        var n = t.ElementCount;
        for (long i = 0; i < n && problems.Count < limit; i++)
        {
            var v = t.Type switch
            {
                GgmlType.F32 => BinaryPrimitives.ReadSingleLittleEndian(data[(int)(i * 4)..]),
                GgmlType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(int)(i * 2)..]),
                GgmlType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(i * 2)..]) << 16),
                GgmlType.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(data[(int)(i * 8)..]),
                _ => 0f,
            };
            if (v is 0f) continue;
            if (!float.IsFinite(v)) problems.Add(new(t.Name, i, $"{(float.IsNaN(v) ? "NaN" : "infinite")} value"));
            if (t.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64)) return;
        }
    }
}
