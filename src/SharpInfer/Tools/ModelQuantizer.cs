using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Tools;

/// <summary>
/// <c>llama-quantize</c>: every 2-D weight in one type (<c>--pure</c>) or in llama.cpp's Q4_K_M /
/// Q5_K_M mixture, the rest kept, metadata carried over with <c>general.file_type</c> updated.
/// Tensor order, metadata order, per-tensor choices and fallbacks follow llama.cpp, so quantizing
/// an F32 file reproduces llama.cpp's output byte for byte.
/// </summary>
public static unsafe class ModelQuantizer
{
    /// <summary>One tensor done: its name, the type it got, its bytes before and after.</summary>
    public sealed record TensorReport(string Name, GgmlType From, GgmlType To, long BytesIn, long BytesOut);

    /// <summary>llama.cpp's <c>llama_ftype</c> for a pure file of one type (K-quants map to their _M mixture id, as llama-quantize names them).</summary>
    public static uint FileType(GgmlType t) => t switch
    {
        GgmlType.F32 => 0, GgmlType.F16 => 1, GgmlType.Q4_0 => 2, GgmlType.Q4_1 => 3, GgmlType.Q8_0 => 7,
        GgmlType.Q5_0 => 8, GgmlType.Q5_1 => 9, GgmlType.Q2_K => 10, GgmlType.Q3_K => 12, GgmlType.Q4_K => 15,
        GgmlType.Q5_K => 17, GgmlType.Q6_K => 18, GgmlType.IQ4_NL => 25, GgmlType.IQ4_XS => 30, GgmlType.BF16 => 32,
        _ => throw new SharpInferException($"quantizing to {t} is not supported"),
    };

    /// <summary>Types a model can be quantized to.</summary>
    public static IReadOnlyList<GgmlType> Targets { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
    ];

    public static IReadOnlyList<TensorReport> Quantize(string inputPath, string outputPath, GgmlType target,
        bool allowRequantize = false, Action<TensorReport, int, int>? progress = null)
    {
        if (!Targets.Contains(target)) throw new SharpInferException($"quantizing to {target} is not supported; choose one of {string.Join(", ", Targets)}");
        return Quantize(inputPath, outputPath, QuantizationScheme.Pure(target), allowRequantize, progress);
    }

    public static IReadOnlyList<TensorReport> Quantize(string inputPath, string outputPath, QuantizationScheme scheme,
        bool allowRequantize = false, Action<TensorReport, int, int>? progress = null)
    {
        var target = scheme.BaseType;
        if (!Targets.Contains(target)) throw new SharpInferException($"quantizing to {target} is not supported; choose one of {string.Join(", ", Targets)}");
        using var input = GgufFile.Open(inputPath);
        // llama.cpp applies its mixture rules only when the base type is quantized.
        var mixture = scheme.Mixture != QuantizationMixture.Pure && GgmlTypeInfo.Get(target).IsQuantized
            ? new MixtureTypeChooser(input, scheme.Mixture) : null;
        var writer = new GgufWriter();
        foreach (var (k, v) in input.Metadata)
            if (k is not ("general.file_type" or "general.quantization_version")) writer.Set(k, v);
        writer.Set("general.quantization_version", GgufValue.Of(2u));
        writer.Set("general.file_type", GgufValue.Of(scheme.FileType));

        var ordered = input.Tensors.ToArray();
        Array.Sort(ordered, CompareLikeLlamaCpp);
        var reports = new List<TensorReport>(ordered.Length);
        for (var i = 0; i < ordered.Length; i++)
        {
            var t = ordered[i];
            var type = ShouldQuantize(t) ? TypeFor(t, mixture?.Choose(t, target) ?? target) : t.Type;
            byte[] bytes;
            if (type == t.Type)
            {
                bytes = input.GetTensorData(t).ToArray();
            }
            else
            {
                if (t.TypeInfo.IsQuantized && !allowRequantize)
                    throw new SharpInferException($"tensor {t.Name} is already {t.TypeInfo.Name}; requantizing loses quality (pass --allow-requantize to do it anyway)");
                if (!Quantization.CanDequantize(t.Type))
                    throw new SharpInferException($"tensor {t.Name} has type {t.TypeInfo.Name}, which cannot be converted yet");
                bytes = Convert(input.GetTensorPointer(t), t, type);
            }
            writer.AddTensor(t.Name, type, t.Dimensions, bytes);
            var report = new TensorReport(t.Name, t.Type, type, t.ByteSize, bytes.Length);
            reports.Add(report);
            progress?.Invoke(report, i + 1, ordered.Length);
        }
        writer.WriteTo(outputPath);
        return reports;
    }

    /// <summary>
    /// llama.cpp quantizes weights with two or more dimensions (ggml_n_dims ignores trailing 1s);
    /// norms, biases, 1-D tensors, MoE routers and position embeddings stay as they are.
    /// </summary>
    private static bool ShouldQuantize(GgufTensorInfo t)
    {
        if (!t.Name.EndsWith("weight", StringComparison.Ordinal)) return false;
        var nDims = 1;
        for (var i = 0; i < t.Dimensions.Length; i++)
            if (t.Dimensions[i] > 1) nDims = i + 1;
        if (nDims < 2) return false;
        foreach (var kept in KeptAsIs)
            if (t.Name.Contains(kept, StringComparison.Ordinal)) return false;
        return true;
    }

    private static readonly string[] KeptAsIs = ["ffn_gate_inp.weight", "pos_embd.weight", "token_types.weight", "ssm_conv1d.weight", "attn_rel_b.weight"];

    /// <summary>
    /// The target, or llama.cpp's fallback when the row length does not fit the target's block; F16
    /// when the fallback does not fit either. Types without a fallback refuse such a tensor.
    /// </summary>
    private static GgmlType TypeFor(GgufTensorInfo t, GgmlType target)
    {
        if (t.RowLength % GgmlTypeInfo.Get(target).BlockSize == 0) return target;
        var fallback = target switch
        {
            GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.IQ4_XS => GgmlType.IQ4_NL,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => target,
        };
        if (fallback == target)
            throw new SharpInferException($"tensor {t.Name} has rows of {t.RowLength} elements, which {target} cannot hold");
        return t.RowLength % GgmlTypeInfo.Get(fallback).BlockSize == 0 ? fallback : GgmlType.F16;
    }

    // Rows are independent, so splitting them over threads writes the same bytes as one thread.
    private static unsafe byte[] Convert(byte* data, GgufTensorInfo t, GgmlType to)
    {
        const int rowsPerChunk = 16;
        var rowLength = (int)t.RowLength;
        long inRow = t.TypeInfo.RowBytes(rowLength);
        var outRow = (int)GgmlTypeInfo.Get(to).RowBytes(rowLength);
        var rows = t.RowCount;
        var result = new byte[checked(outRow * rows)];
        var from = t.Type;
        var source = (IntPtr)data;
        var chunks = (int)((rows + rowsPerChunk - 1) / rowsPerChunk);
        Parallel.For(0, chunks, () => new float[rowLength], (chunk, _, floats) =>
        {
            var end = Math.Min(rows, (chunk + 1L) * rowsPerChunk);
            for (var r = chunk * (long)rowsPerChunk; r < end; r++)
            {
                Quantization.Dequantize(from, new ReadOnlySpan<byte>((byte*)source + r * inRow, (int)inRow), floats);
                Quantization.Quantize(to, floats, result.AsSpan((int)(r * outRow), outRow));
            }
            return floats;
        }, _ => { });
        return result;
    }

    /// <summary>llama.cpp's loader order: tensors outside layers first, then by layer number, then by name.</summary>
    private static int CompareLikeLlamaCpp(GgufTensorInfo a, GgufTensorInfo b)
    {
        var la = LayerOf(a.Name);
        var lb = LayerOf(b.Name);
        return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a.Name, b.Name);
    }

    private static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        var end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out var layer) ? layer : -1;
    }
}
