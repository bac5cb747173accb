namespace SharpInfer.Numerics.Quants;

/// <summary>Q8_0: blocks of 32 values, 34 bytes: <c>d</c> (f16) then 32 signed bytes. Value = q·d.</summary>
internal static class Q8_0Format
{
    public const int BlockSize = 32, BlockBytes = 34;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_0, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize; ++j) y[j] = (sbyte)b[2 + j] * d;
        }
    }

    /// <summary><c>quantize_row_q8_0_ref</c>: d = amax/127, q = roundf(x/d) (ties away from zero).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_0, src.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float amax = 0;
            for (int j = 0; j < BlockSize; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16.Write(b, 0, d);
            for (int j = 0; j < BlockSize; ++j)
                b[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}
