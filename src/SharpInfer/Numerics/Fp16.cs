using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SharpInfer.Numerics;

/// <summary>
/// IEEE half-precision conversions as ggml does them (<c>GGML_FP16_TO_FP32</c> is exact;
/// <c>GGML_FP32_TO_FP16</c> rounds to nearest, ties to even — the same as <see cref="System.Half"/>).
/// </summary>
public static class Fp16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Reads a little-endian half at <paramref name="offset"/> and widens it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(ReadOnlySpan<byte> src, int offset) =>
        ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(offset, 2)));

    /// <summary>Rounds <paramref name="value"/> to half and writes it little-endian at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> dst, int offset, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(offset, 2), FromFloat(value));

    /// <summary>The value a float takes after a round trip through half (ggml stores scales this way and re-reads them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float value) => (float)(Half)value;
}
