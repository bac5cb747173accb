namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q4_0: blocks of 32 values, 18 bytes: <c>d</c> (f16) then 16 bytes of 4-bit quants; byte j holds
/// element j in its low nibble and element j+16 in its high nibble. Value = (q − 8)·d.
/// </summary>
internal static class Q4_0Format
{
    public const int BlockSize = 32, BlockBytes = 18;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_0, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < 16; ++j)
            {
                int x0 = (b[2 + j] & 0x0F) - 8;
                int x1 = (b[2 + j] >> 4) - 8;
                y[j] = x0 * d;
                y[j + 16] = x1 * d;
            }
        }
    }

    /// <summary><c>quantize_row_q4_0_ref</c>: d = max/−8 where max is the value of largest magnitude.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_0, src.Length, BlockSize);
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
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            for (int j = 0; j < 16; ++j)
            {
                float x0 = x[j] * id;
                float x1 = x[16 + j] * id;
                int xi0 = Math.Min(15, (int)(x0 + 8.5f));
                int xi1 = Math.Min(15, (int)(x1 + 8.5f));
                b[2 + j] = (byte)(xi0 | (xi1 << 4));
            }
        }
    }
}
