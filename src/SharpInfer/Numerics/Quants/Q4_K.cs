namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q4_K: super-blocks of 256 values, 144 bytes: <c>d</c> (f16), <c>dmin</c> (f16), <c>scales[12]</c>
/// (eight 6-bit scales and eight 6-bit mins, see <see cref="QuantMath.GetScaleMinK4"/>), <c>qs[128]</c>
/// (each 64-value chunk: 32 bytes, low nibble = element l, high nibble = element l+32).
/// Value = d·scale·q − dmin·min.
/// </summary>
internal static class Q4_KFormat
{
    public const int BlockSize = 256, BlockBytes = 144;
    private const int OffDmin = 2, OffScales = 4, OffQs = 16;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_K, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            float min = Fp16.Read(b, OffDmin);
            var scales = b.Slice(OffScales, 12);
            var y = dst.Slice(i * BlockSize, BlockSize);
            int yi = 0, q = OffQs, s = 0;
            for (int j = 0; j < BlockSize; j += 64)
            {
                QuantMath.GetScaleMinK4(s + 0, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = min * m;
                QuantMath.GetScaleMinK4(s + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) y[yi++] = d1 * (b[q + l] & 0xF) - m1;
                for (int l = 0; l < 32; ++l) y[yi++] = d2 * (b[q + l] >> 4) - m2;
                q += 32; s += 2;
            }
        }
    }

    /// <summary><c>quantize_row_q4_K_ref</c> (what <c>quantize_q4_K</c> runs without an importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q4_K, src.Length, BlockSize);
        Span<byte> L = stackalloc byte[BlockSize];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            KQuantScaleMin.FitSubBlocks(x, 15, -1f, 0.1f, 20, L, Laux, weights, scales, mins, out float maxScale, out float maxMin);
            KQuantScaleMin.PackScalesAndRequantize(x, b, OffScales, 15, L, scales, mins, maxScale, maxMin);
            int q = OffQs;
            for (int j = 0; j < BlockSize; j += 64)
            {
                for (int l = 0; l < 32; ++l) b[q + l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
                q += 32;
            }
        }
    }
}

/// <summary>The scale/min search and 6-bit packing shared by <c>quantize_row_q4_K_ref</c> and <c>quantize_row_q5_K_ref</c>.</summary>
internal static class KQuantScaleMin
{
    public static void FitSubBlocks(ReadOnlySpan<float> x, int nmax, float rmin, float rdelta, int nstep,
        Span<byte> L, Span<byte> Laux, Span<float> weights, Span<float> scales, Span<float> mins,
        out float maxScale, out float maxMin)
    {
        maxScale = 0; maxMin = 0;
        for (int j = 0; j < 8; ++j)
        {
            var xs = x.Slice(32 * j, 32);
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) sumX2 += xs[l] * xs[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = avX + MathF.Abs(xs[l]);
            scales[j] = QuantMath.MakeQkx2Quants(32, nmax, xs, weights, L.Slice(32 * j, 32), out mins[j], Laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
    }

    /// <summary>Writes d, dmin (block offsets 0 and 2) and the 12 scale bytes, then re-derives the levels from the stored scales.</summary>
    public static void PackScalesAndRequantize(ReadOnlySpan<float> x, Span<byte> b, int offScales, int nmax,
        Span<byte> L, ReadOnlySpan<float> scales, ReadOnlySpan<float> mins, float maxScale, float maxMin)
    {
        var sc = b.Slice(offScales, 12);
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; ++j)
        {
            byte ls = (byte)QuantMath.NearestInt(invScale * scales[j]);
            byte lm = (byte)QuantMath.NearestInt(invMin * mins[j]);
            ls = Math.Min((byte)63, ls);
            lm = Math.Min((byte)63, lm);
            if (j < 4)
            {
                sc[j] = ls;
                sc[j + 4] = lm;
            }
            else
            {
                sc[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte)((ls >> 4) << 6);
                sc[j - 0] |= (byte)((lm >> 4) << 6);
            }
        }
        Fp16.Write(b, 0, maxScale / 63f);
        Fp16.Write(b, 2, maxMin / 63f);

        float dAll = Fp16.Read(b, 0), mAll = Fp16.Read(b, 2);
        for (int j = 0; j < 8; ++j)
        {
            QuantMath.GetScaleMinK4(j, sc, out byte s, out byte m);
            float d = dAll * s;
            if (d == 0) continue;
            float dm = mAll * m;
            for (int ii = 0; ii < 32; ++ii)
            {
                int l = QuantMath.NearestInt((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte)Math.Max(0, Math.Min(nmax, l));
            }
        }
    }
}
