using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SharpInfer.Numerics.Quants;

/// <summary>F32, F16 and BF16 rows: one little-endian value per element.</summary>
internal static class PlainFloats
{
    public static void DequantizeF32(ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src.Slice(0, dst.Length * 4)).CopyTo(dst);
        else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(4 * i, 4));
    }

    public static void QuantizeF32(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(src).CopyTo(dst);
        else for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(4 * i, 4), src[i]);
    }

    public static void DequantizeF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = Fp16.Read(src, 2 * i);
    }

    public static void QuantizeF16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) Fp16.Write(dst, 2 * i, src[i]);
    }

    public static void DequantizeBf16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = Bf16.Read(src, 2 * i);
    }

    public static void QuantizeBf16(ReadOnlySpan<float> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) Bf16.Write(dst, 2 * i, src[i]);
    }
}
