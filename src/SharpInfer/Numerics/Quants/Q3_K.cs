namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q3_K: super-blocks of 256 values, 110 bytes: <c>hmask[32]</c> (high bit of each 3-bit quant:
/// element j's bit is bit j/32 of byte j%32), <c>qs[64]</c> (low 2 bits, packed as in Q2_K),
/// <c>scales[12]</c> (sixteen 6-bit signed scales, offset 32: low nibbles in bytes 0–7, high 2 bits in
/// bytes 8–11), <c>d</c> (f16). Value = d·(scale − 32)·(q − 4).
/// </summary>
internal static class Q3_KFormat
{
    public const int BlockSize = 256, BlockBytes = 110;
    private const int OffQs = 32, OffScales = 96, OffD = 108;

    /// <summary>Unpacks the sixteen 6-bit scales (still offset by 32) as ggml's kmask trick does.</summary>
    public static void UnpackScales(ReadOnlySpan<byte> packed, Span<sbyte> scales)
    {
        for (int j = 0; j < 16; ++j)
        {
            int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
            scales[j] = (sbyte)(low | (high << 4));
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q3_K, dst.Length, BlockSize);
        Span<sbyte> scales = stackalloc sbyte[16];
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float dAll = Fp16.Read(b, OffD);
            UnpackScales(b.Slice(OffScales, 12), scales);
            var y = dst.Slice(i * BlockSize, BlockSize);
            int yi = 0, q = OffQs, scaleIndex = 0;
            int m = 1;
            for (int n = 0; n < BlockSize; n += 128)
            {
                int shift = 0;
                for (int j = 0; j < 4; ++j)
                {
                    float dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; ++l)
                        y[yi++] = dl * (((b[q + l] >> shift) & 3) - ((b[l] & m) != 0 ? 0 : 4));

                    dl = dAll * (scales[scaleIndex++] - 32);
                    for (int l = 0; l < 16; ++l)
                        y[yi++] = dl * (((b[q + l + 16] >> shift) & 3) - ((b[l + 16] & m) != 0 ? 0 : 4));

                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    /// <summary><c>quantize_row_q3_K_ref</c> (what <c>quantize_q3_K</c> runs without an importance matrix).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q3_K, src.Length, BlockSize);
        Span<sbyte> L = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];

        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; ++j)
            {
                scales[j] = QuantMath.MakeQ3Quants(16, 4, x.Slice(16 * j, 16), L.Slice(16 * j, 16), true);
                float scale = MathF.Abs(scales[j]);
                if (scale > amax) { amax = scale; maxScale = scales[j]; }
            }

            var sc = b.Slice(OffScales, 12);
            sc.Clear();
            if (maxScale != 0)
            {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; ++j)
                {
                    sbyte l8 = (sbyte)QuantMath.NearestInt(iscale * scales[j]);
                    int l = Math.Max(-32, Math.Min(31, (int)l8)) + 32;
                    if (j < 8) sc[j] = (byte)(l & 0xF);
                    else sc[j - 8] |= (byte)((l & 0xF) << 4);
                    l >>= 4;
                    sc[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
                }
                Fp16.Write(b, OffD, 1 / iscale);
            }
            else
            {
                Fp16.Write(b, OffD, 0f);
            }

            float dAll = Fp16.Read(b, OffD);
            for (int j = 0; j < 16; ++j)
            {
                int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
                s = (s | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
                float d = dAll * s;
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = QuantMath.NearestInt(x[16 * j + ii] / d);
                    l = Math.Max(-4, Math.Min(3, l));
                    L[16 * j + ii] = (sbyte)(l + 4);
                }
            }

            var hmask = b.Slice(0, 32);
            hmask.Clear();
            int m = 0;
            byte hm = 1;
            for (int j = 0; j < BlockSize; ++j)
            {
                if (L[j] > 3)
                {
                    hmask[m] |= hm;
                    L[j] -= 4;
                }
                if (++m == 32) { m = 0; hm <<= 1; }
            }
            for (int j = 0; j < BlockSize; j += 128)
                for (int l = 0; l < 32; ++l)
                    b[OffQs + j / 4 + l] = (byte)((byte)L[j + l] | ((byte)L[j + l + 32] << 2) | ((byte)L[j + l + 64] << 4) | ((byte)L[j + l + 96] << 6));
        }
    }
}
