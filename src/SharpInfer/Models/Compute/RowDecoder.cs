using System.Runtime.InteropServices;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Models.Compute;

/// <summary>Turns one stored row into floats (ggml's get_rows / to_float), e.g. for the token embedding.</summary>
internal static unsafe class RowDecoder
{
    public static bool Supports(GgmlType type) => Quantization.CanDequantize(type);

    public static void Decode(GgmlType type, byte* src, Span<float> dst)
    {
        var n = dst.Length;
        switch (type)
        {
            case GgmlType.F32:
                new ReadOnlySpan<float>(src, n).CopyTo(dst);
                break;
            case GgmlType.F16:
                FloatFormats.HalfToFloat(new ReadOnlySpan<ushort>(src, n), dst);
                break;
            case GgmlType.BF16:
                var b = new ReadOnlySpan<ushort>(src, n);
                for (var i = 0; i < n; i++) dst[i] = FloatFormats.BFloat16ToFloat(b[i]);
                break;
            default:
                var bytes = (int)GgmlTypeInfo.Get(type).RowBytes(n);
                Quantization.Dequantize(type, new ReadOnlySpan<byte>(src, bytes), dst);
                break;
        }
    }

    public static float[] DecodeVector(GgmlType type, byte* src, int n)
    {
        var result = new float[n];
        Decode(type, src, result);
        return result;
    }
}
