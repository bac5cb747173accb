using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SharpInfer.Numerics;

/// <summary>
/// bfloat16 conversions matching ggml's <c>ggml_compute_fp32_to_bf16</c> / <c>ggml_compute_bf16_to_fp32</c>:
/// round to nearest even on the upper 16 bits; a NaN keeps its top bits and is forced quiet.
/// </summary>
public static class Bf16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64); // NaN: force quiet
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(ReadOnlySpan<byte> src, int offset) =>
        ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(offset, 2)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> dst, int offset, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(offset, 2), FromFloat(value));
}
