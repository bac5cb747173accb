namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q8_1: blocks of 32 values, 36 bytes: <c>d</c> (f16), <c>s</c> = d·Σq (f16), 32 signed bytes.
/// Value = q·d. Used as the activation type for Q4_1/Q5_1 dot products.
/// </summary>
internal static class Q8_1Format
{
    public const int BlockSize = 32, BlockBytes = 36;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_1, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize; ++j) y[j] = (sbyte)b[4 + j] * d;
        }
    }

    /// <summary><c>quantize_row_q8_1_ref</c>: as Q8_0, plus s = Σq·d.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_1, src.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float amax = 0;
            for (int j = 0; j < BlockSize; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            int sum = 0;
            for (int j = 0; j < 16; ++j)
            {
                sbyte q0 = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
                sbyte q1 = (sbyte)MathF.Round(x[16 + j] * id, MidpointRounding.AwayFromZero);
                b[4 + j] = (byte)q0;
                b[4 + 16 + j] = (byte)q1;
                sum += q0 + q1;
            }
            Fp16.Write(b, 2, sum * d);
        }
    }
}
