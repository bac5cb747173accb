namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Converts rows between float and ggml tensor types, bit-exactly as ggml does:
/// <see cref="Dequantize"/> is ggml's <c>dequantize_row_*</c> (<c>to_float</c>); <see cref="Quantize"/> is what
/// <c>ggml_quantize_chunk</c> produces with no importance matrix (the <c>quantize_row_*_ref</c> functions,
/// and <c>quantize_row_iq4_nl_impl</c> with ntry = 7 for IQ4_NL/IQ4_XS) — i.e. <c>llama-quantize --pure</c>.
/// </summary>
public static class Quantization
{
    /// <summary>Whether <see cref="Dequantize"/> supports <paramref name="type"/>.</summary>
    public static bool CanDequantize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K or
        GgmlType.IQ4_NL or GgmlType.IQ4_XS => true,
        _ => false,
    };

    /// <summary>Whether <see cref="Quantize"/> supports <paramref name="type"/> (the same set as <see cref="CanDequantize"/>).</summary>
    public static bool CanQuantize(GgmlType type) => CanDequantize(type);

    /// <summary>
    /// Expands <paramref name="dst"/>.Length elements stored as <paramref name="type"/> in <paramref name="src"/>;
    /// the element count must be a multiple of the type's block size and <paramref name="src"/> must hold
    /// at least that many blocks.
    /// </summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        CheckSizes(type, dst.Length, src.Length, nameof(src));
        switch (type)
        {
            case GgmlType.F32: PlainFloats.DequantizeF32(src, dst); break;
            case GgmlType.F16: PlainFloats.DequantizeF16(src, dst); break;
            case GgmlType.BF16: PlainFloats.DequantizeBf16(src, dst); break;
            case GgmlType.Q4_0: Q4_0Format.Dequantize(src, dst); break;
            case GgmlType.Q4_1: Q4_1Format.Dequantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0Format.Dequantize(src, dst); break;
            case GgmlType.Q5_1: Q5_1Format.Dequantize(src, dst); break;
            case GgmlType.Q8_0: Q8_0Format.Dequantize(src, dst); break;
            case GgmlType.Q8_1: Q8_1Format.Dequantize(src, dst); break;
            case GgmlType.Q2_K: Q2_KFormat.Dequantize(src, dst); break;
            case GgmlType.Q3_K: Q3_KFormat.Dequantize(src, dst); break;
            case GgmlType.Q4_K: Q4_KFormat.Dequantize(src, dst); break;
            case GgmlType.Q5_K: Q5_KFormat.Dequantize(src, dst); break;
            case GgmlType.Q6_K: Q6_KFormat.Dequantize(src, dst); break;
            case GgmlType.Q8_K: Q8_KFormat.Dequantize(src, dst); break;
            case GgmlType.IQ4_NL: IQ4_NLFormat.Dequantize(src, dst); break;
            case GgmlType.IQ4_XS: IQ4_XSFormat.Dequantize(src, dst); break;
            default: throw Unsupported(type, "dequantize");
        }
    }

    /// <summary>
    /// Encodes <paramref name="src"/> (whole rows; the length must be a multiple of the block size) as
    /// <paramref name="type"/> into <paramref name="dst"/>, which must hold at least
    /// <see cref="GgmlTypeInfo.RowBytes"/>(src.Length) bytes.
    /// </summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        CheckSizes(type, src.Length, dst.Length, nameof(dst));
        switch (type)
        {
            case GgmlType.F32: PlainFloats.QuantizeF32(src, dst); break;
            case GgmlType.F16: PlainFloats.QuantizeF16(src, dst); break;
            case GgmlType.BF16: PlainFloats.QuantizeBf16(src, dst); break;
            case GgmlType.Q4_0: Q4_0Format.Quantize(src, dst); break;
            case GgmlType.Q4_1: Q4_1Format.Quantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0Format.Quantize(src, dst); break;
            case GgmlType.Q5_1: Q5_1Format.Quantize(src, dst); break;
            case GgmlType.Q8_0: Q8_0Format.Quantize(src, dst); break;
            case GgmlType.Q8_1: Q8_1Format.Quantize(src, dst); break;
            case GgmlType.Q2_K: Q2_KFormat.Quantize(src, dst); break;
            case GgmlType.Q3_K: Q3_KFormat.Quantize(src, dst); break;
            case GgmlType.Q4_K: Q4_KFormat.Quantize(src, dst); break;
            case GgmlType.Q5_K: Q5_KFormat.Quantize(src, dst); break;
            case GgmlType.Q6_K: Q6_KFormat.Quantize(src, dst); break;
            case GgmlType.Q8_K: Q8_KFormat.Quantize(src, dst); break;
            case GgmlType.IQ4_NL: IQ4_NLFormat.Quantize(src, dst); break;
            case GgmlType.IQ4_XS: IQ4_XSFormat.Quantize(src, dst); break;
            default: throw Unsupported(type, "quantize");
        }
    }

    private static void CheckSizes(GgmlType type, int elements, int bytes, string bytesName)
    {
        var info = GgmlTypeInfo.Get(type);
        if (elements % info.BlockSize != 0)
            throw new ArgumentException($"{info.Name}: {elements} elements is not a multiple of the block size {info.BlockSize}");
        long need = info.RowBytes(elements);
        if (bytes < need)
            throw new ArgumentException($"{info.Name}: {elements} elements need {need} bytes, the buffer has {bytes}", bytesName);
    }

    private static NotSupportedException Unsupported(GgmlType type, string what) =>
        new($"cannot {what} tensor type {GgmlTypeInfo.Get(type).Name}");
}
