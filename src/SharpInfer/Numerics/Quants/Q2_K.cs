namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q2_K: super-blocks of 256 values, 84 bytes: <c>scales[16]</c> (low nibble = 4-bit scale, high
/// nibble = 4-bit min of each 16-value sub-block), <c>qs[64]</c> (2-bit quants; within each
/// 128-value half, byte l holds elements l, l+32, l+64, l+96 at shifts 0, 2, 4, 6), <c>d</c> (f16),
/// <c>dmin</c> (f16). Value = d·scale·q − dmin·min.
/// </summary>
internal static class Q2_KFormat
{
    public const int BlockSize = 256, BlockBytes = 84;
    private const int OffQs = 16, OffD = 80, OffDmin = 82;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q2_K, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, OffD);
            float min = Fp16.Read(b, OffDmin);
            var y = dst.Slice(i * BlockSize, BlockSize);
            int yi = 0, q = OffQs, scaleIndex = 0;
            for (int n = 0; n < BlockSize; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    byte sc = b[scaleIndex++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) y[yi++] = dl * ((b[q + l] >> shift) & 3) - ml;

                    sc = b[scaleIndex++];
                    dl = d * (sc & 0xF); ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) y[yi++] = dl * ((b[q + l + 16] >> shift) & 3) - ml;

                    shift += 2;
                }
                q += 32;
            }
        }
    }

    /// <summary><c>quantize_row_q2_K_ref</c>.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q2_K, src.Length, BlockSize);
        Span<byte> L = stackalloc byte[BlockSize];
        Span<byte> Laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        const float q4scale = 15f;

        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; ++j)
            {
                var xs = x.Slice(16 * j, 16);
                for (int l = 0; l < 16; ++l) weights[l] = MathF.Abs(xs[l]);
                scales[j] = QuantMath.MakeQkx2Quants(16, 3, xs, weights, L.Slice(16 * j, 16), out mins[j], Laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < 16; ++j) b[j] = (byte)QuantMath.NearestInt(iscale * scales[j]);
                Fp16.Write(b, OffD, maxScale / q4scale);
            }
            else
            {
                for (int j = 0; j < 16; ++j) b[j] = 0;
                Fp16.Write(b, OffD, 0f);
            }
            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < 16; ++j)
                {
                    int l = QuantMath.NearestInt(iscale * mins[j]);
                    b[j] |= (byte)(l << 4);
                }
                Fp16.Write(b, OffDmin, maxMin / q4scale);
            }
            else
            {
                Fp16.Write(b, OffDmin, 0f);
            }

            float dAll = Fp16.Read(b, OffD), mAll = Fp16.Read(b, OffDmin);
            for (int j = 0; j < 16; ++j)
            {
                float d = dAll * (b[j] & 0xF);
                if (d == 0) continue;
                float dm = mAll * (b[j] >> 4);
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt((x[16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte)Math.Max(0, Math.Min(3, l));
                }
            }

            for (int j = 0; j < BlockSize; j += 128)
                for (int l = 0; l < 32; ++l)
                    b[OffQs + j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        }
    }
}
