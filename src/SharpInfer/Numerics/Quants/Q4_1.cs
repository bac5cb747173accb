namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q4_1: blocks of 32 values, 20 bytes: <c>d</c> (f16), <c>m</c> (f16), 16 bytes of 4-bit quants
/// (low nibble = element j, high nibble = element j+16). Value = q·d + m.
/// </summary>
internal static class Q4_1Format
{
    public const int BlockSize = 32, BlockBytes = 20;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_1, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            float m = Fp16.Read(b, 2);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < 16; ++j)
            {
                int x0 = b[4 + j] & 0x0F;
                int x1 = b[4 + j] >> 4;
                y[j] = x0 * d + m;
                y[j + 16] = x1 * d + m;
            }
        }
    }

    /// <summary><c>quantize_row_q4_1_ref</c>: d = (max − min)/15, m = min.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_1, src.Length, BlockSize);
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
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            Fp16.Write(b, 2, min);
            for (int j = 0; j < 16; ++j)
            {
                float x0 = (x[j] - min) * id;
                float x1 = (x[16 + j] - min) * id;
                int xi0 = Math.Min(15, (int)(x0 + 0.5f));
                int xi1 = Math.Min(15, (int)(x1 + 0.5f));
                b[4 + j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }
}
