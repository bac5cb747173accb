using System.Buffers.Binary;

namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q5_1: blocks of 32 values, 24 bytes: <c>d</c> (f16), <c>m</c> (f16), <c>qh</c> (uint32 LE, 5th
/// bits), 16 bytes of low nibbles (element j low, j+16 high). Value = q·d + m.
/// </summary>
internal static class Q5_1Format
{
    public const int BlockSize = 32, BlockBytes = 24;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_1, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            float m = Fp16.Read(b, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(4, 4));
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < 16; ++j)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = (b[8 + j] & 0x0F) | xh0;
                int x1 = (b[8 + j] >> 4) | xh1;
                y[j] = x0 * d + m;
                y[j + 16] = x1 * d + m;
            }
        }
    }

    /// <summary><c>quantize_row_q5_1_ref</c>: d = (max − min)/31, m = min.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_1, src.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < BlockSize; j++)
            {
                float v = x[j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            Fp16.Write(b, 2, min);
            uint qh = 0;
            for (int j = 0; j < 16; ++j)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[16 + j] - min) * id;
                // ggml has no clamp here: (max − min)·id rounds to at most 31.5 → 31.
                int xi0 = (byte)(int)(x0 + 0.5f);
                int xi1 = (byte)(int)(x1 + 0.5f);
                b[8 + j] = (byte)((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= (uint)((xi0 & 0x10) >> 4) << j;
                qh |= (uint)((xi1 & 0x10) >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(b.Slice(4, 4), qh);
        }
    }
}
