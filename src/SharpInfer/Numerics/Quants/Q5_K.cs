namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q5_K: super-blocks of 256 values, 176 bytes: <c>d</c>, <c>dmin</c> (f16), <c>scales[12]</c> (as
/// Q4_K), <c>qh[32]</c> (5th bits: chunk c of 64 values uses bits 2c and 2c+1 of byte l),
/// <c>qs[128]</c> (low nibbles as Q4_K). Value = d·scale·q − dmin·min.
/// </summary>
internal static class Q5_KFormat
{
    public const int BlockSize = 256, BlockBytes = 176;
    private const int OffDmin = 2, OffScales = 4, OffQh = 16, OffQs = 48;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_K, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            float min = Fp16.Read(b, OffDmin);
            var scales = b.Slice(OffScales, 12);
            var y = dst.Slice(i * BlockSize, BlockSize);
            int yi = 0, ql = OffQs, s = 0;
            int u1 = 1, u2 = 2;
            for (int j = 0; j < BlockSize; j += 64)
            {
                QuantMath.GetScaleMinK4(s + 0, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                QuantMath.GetScaleMinK4(s + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) y[yi++] = d1 * ((b[ql + l] & 0xF) + ((b[OffQh + l] & u1) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; ++l) y[yi++] = d2 * ((b[ql + l] >> 4) + ((b[OffQh + l] & u2) != 0 ? 16 : 0)) - m2;
                ql += 32; s += 2;
                u1 <<= 2; u2 <<= 2;
            }
        }
    }

    /// <summary><c>quantize_row_q5_K_ref</c> (what <c>quantize_q5_K</c> runs without an importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q5_K, src.Length, BlockSize);
        Span<byte> L = stackalloc byte[BlockSize];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            KQuantScaleMin.FitSubBlocks(x, 31, -0.5f, 0.1f, 15, L, Laux, weights, scales, mins, out float maxScale, out float maxMin);
            KQuantScaleMin.PackScalesAndRequantize(x, b, OffScales, 31, L, scales, mins, maxScale, maxMin);

            var qh = b.Slice(OffQh, 32);
            qh.Clear();
            int ql = OffQs;
            byte m1 = 1, m2 = 2;
            for (int n = 0; n < BlockSize; n += 64)
            {
                for (int j = 0; j < 32; ++j)
                {
                    int l1 = L[n + j];
                    if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                    int l2 = L[n + j + 32];
                    if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                    b[ql + j] = (byte)(l1 | (l2 << 4));
                }
                m1 <<= 2; m2 <<= 2;
                ql += 32;
            }
        }
    }
}
