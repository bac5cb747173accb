namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q6_K: super-blocks of 256 values, 210 bytes: <c>ql[128]</c> (low 4 bits), <c>qh[64]</c> (high 2
/// bits), <c>scales[16]</c> (signed 8-bit, one per 16 values), <c>d</c> (f16). Within each 128-value
/// half, byte l of ql holds elements l (low) and l+64 (high), byte l+32 holds l+32 and l+96; qh byte
/// l holds the high bits of l, l+32, l+64, l+96 at shifts 0, 2, 4, 6. Value = d·scale·(q − 32).
/// </summary>
internal static class Q6_KFormat
{
    public const int BlockSize = 256, BlockBytes = 210;
    private const int OffQh = 128, OffScales = 192, OffD = 208;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q6_K, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, OffD);
            var y = dst.Slice(i * BlockSize, BlockSize);
            int ql = 0, qh = OffQh, sc = OffScales, yo = 0;
            for (int n = 0; n < BlockSize; n += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    int s = l / 16;
                    int q1 = ((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
                    y[yo + l] = d * (sbyte)b[sc + s + 0] * q1;
                    y[yo + l + 32] = d * (sbyte)b[sc + s + 2] * q2;
                    y[yo + l + 64] = d * (sbyte)b[sc + s + 4] * q3;
                    y[yo + l + 96] = d * (sbyte)b[sc + s + 6] * q4;
                }
                yo += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /// <summary><c>quantize_row_q6_K_ref</c> (what <c>quantize_q6_K</c> runs without an importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q6_K, src.Length, BlockSize);
        Span<sbyte> L = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib)
            {
                float scale = QuantMath.MakeQxQuants(16, 32, x.Slice(16 * ib, 16), L.Slice(16 * ib, 16), 1);
                scales[ib] = scale;
                float absScale = MathF.Abs(scale);
                if (absScale > maxAbsScale) { maxAbsScale = absScale; maxScale = scale; }
            }

            if (maxAbsScale < QuantMath.GroupMaxEps)
            {
                b.Clear();
                continue;
            }

            float iscale = -128f / maxScale;
            Fp16.Write(b, OffD, 1 / iscale);
            for (int ib = 0; ib < 16; ++ib)
                b[OffScales + ib] = (byte)(sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[ib]));

            float dAll = Fp16.Read(b, OffD);
            for (int j = 0; j < 16; ++j)
            {
                float d = dAll * (sbyte)b[OffScales + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-32, Math.Min(31, l));
                    L[16 * j + ii] = (sbyte)(l + 32);
                }
            }

            int ql = 0, qh = OffQh;
            for (int j = 0; j < BlockSize; j += 128)
            {
                for (int l = 0; l < 32; ++l)
                {
                    int q1 = L[j + l + 0] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    b[ql + l + 0] = (byte)(q1 | (q3 << 4));
                    b[ql + l + 32] = (byte)(q2 | (q4 << 4));
                    b[qh + l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }
}
