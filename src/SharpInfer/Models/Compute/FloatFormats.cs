using System.Runtime.CompilerServices;

namespace SharpInfer.Models.Compute;

/// <summary>IEEE half and bfloat16 conversions with ggml's rounding (round to nearest even).</summary>
internal static class FloatFormats
{
    /// <summary>Every half value as a float: ggml keeps the same table (ggml_table_f32_f16).</summary>
    private static readonly float[] HalfTable = BuildHalfTable();

    private static float[] BuildHalfTable()
    {
        var t = new float[65536];
        for (var i = 0; i < t.Length; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    internal static ReadOnlySpan<float> HalfToFloatTable => HalfTable;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToFloat(ushort h) => HalfTable[h];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToHalf(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToFloat(ushort b) => BitConverter.Int32BitsToSingle(b << 16);

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBFloat16(float f)
    {
        var u = (uint)BitConverter.SingleToInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    public static void HalfToFloat(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = HalfTable[src[i]];
    }

    public static void FloatToHalf(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = FloatToHalf(src[i]);
    }

    public static void FloatToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = FloatToBFloat16(src[i]);
    }
}
