using System.Buffers.Binary;

namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q5_0: blocks of 32 values, 22 bytes: <c>d</c> (f16), <c>qh</c> (uint32 LE: bit j = 5th bit of
/// element j), 16 bytes of low nibbles (element j low, element j+16 high). Value = (q − 16)·d.
/// </summary>
internal static class Q5_0Format
{
    public const int BlockSize = 32, BlockBytes = 22;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_0, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(2, 4));
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < 16; ++j)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = ((b[6 + j] & 0x0F) | xh0) - 16;
                int x1 = ((b[6 + j] >> 4) | xh1) - 16;
                y[j] = x0 * d;
                y[j + 16] = x1 * d;
            }
        }
    }

    /// <summary><c>quantize_row_q5_0_ref</c>: d = max/−16.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_0, src.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float amax = 0, max = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                float v = x[j];
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            uint qh = 0;
            for (int j = 0; j < 16; ++j)
            {
                float x0 = x[j] * id;
                float x1 = x[16 + j] * id;
                int xi0 = Math.Min(31, (int)(x0 + 16.5f));
                int xi1 = Math.Min(31, (int)(x1 + 16.5f));
                b[6 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= (uint)((xi0 & 0x10) >> 4) << j;
                qh |= (uint)((xi1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(2, 4), qh);
        }
    }
}
