namespace SharpInfer.Numerics.Quants;

/// <summary>
/// IQ4_NL: blocks of 32 values, 18 bytes: <c>d</c> (f16), 16 bytes of 4-bit indices into the
/// non-linear table <see cref="Values"/> (low nibble = element j, high = element j+16). Value = d·table[q].
/// </summary>
internal static class IQ4_NLFormat
{
    public const int BlockSize = 32, BlockBytes = 18;

    /// <summary>ggml's <c>kvalues_iq4nl</c>.</summary>
    public static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.IQ4_NL, dst.Length, BlockSize);
        var values = Values;
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < 16; ++j)
            {
                y[j] = d * values[b[2 + j] & 0xf];
                y[j + 16] = d * values[b[2 + j] >> 4];
            }
        }
    }

    /// <summary>
    /// <c>quantize_iq4_nl</c> with no importance matrix: <c>quantize_row_iq4_nl_impl(32, 32, …, qw = NULL, ntry = 7)</c>.
    /// (ggml's <c>quantize_row_iq4_nl_ref</c> uses ntry = −1, but llama-quantize goes through <c>quantize_iq4_nl</c>.)
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.IQ4_NL, src.Length, BlockSize);
        Span<byte> L = stackalloc byte[BlockSize];
        Span<float> weight = stackalloc float[BlockSize];
        Span<float> scales = stackalloc float[1];
        for (int i = 0; i < nb; i++)
        {
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            IQ4Impl.QuantizeSuperBlock(BlockSize, src.Slice(i * BlockSize, BlockSize), b, 0, b.Slice(2, 16),
                default, default, scales, weight, L, 7);
        }
    }
}

/// <summary>ggml's <c>quantize_row_iq4_nl_impl</c> (shared by IQ4_NL and IQ4_XS), without importance weights.</summary>
internal static class IQ4Impl
{
    /// <summary>
    /// ggml's <c>best_index_int8</c> (the binary-search version of llama.cpp up to late 2025): index of
    /// the table entry nearest to <paramref name="x"/>, ties going to the upper entry.
    /// </summary>
    public static int BestIndex(ReadOnlySpan<sbyte> val, float x)
    {
        int n = val.Length;
        if (x <= val[0]) return 0;
        if (x >= val[n - 1]) return n - 1;
        int ml = 0, mu = n - 1;
        while (mu - ml > 1)
        {
            int mav = (ml + mu) / 2;
            if (x < val[mav]) mu = mav; else ml = mav;
        }
        return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
    }

    /// <summary>
    /// One super-block: <paramref name="superBlockSize"/> is 32 for IQ4_NL and 256 for IQ4_XS (blocks are
    /// always 32). The f16 super-scale goes to <paramref name="dst"/> at <paramref name="offD"/>, the
    /// packed indices to <paramref name="q4"/>; <paramref name="scalesH"/> (2 bytes, uint16 LE) and
    /// <paramref name="scalesL"/> take the IQ4_XS 6-bit block scales. The remaining spans are scratch.
    /// </summary>
    public static void QuantizeSuperBlock(int superBlockSize, ReadOnlySpan<float> x, Span<byte> dst, int offD, Span<byte> q4,
        Span<byte> scalesH, Span<byte> scalesL, Span<float> scales, Span<float> weight, Span<byte> L, int ntry)
    {
        const int blockSize = 32;
        var values = IQ4_NLFormat.Values;

        // (ggml's sigma2 only feeds importance weights, which llama-quantize --pure does not have.)
        q4.Slice(0, superBlockSize / 2).Clear();
        Fp16.Write(dst, offD, 0f);

        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < superBlockSize / blockSize; ++ib)
        {
            var xb = x.Slice(ib * blockSize, blockSize);
            var Lb = L.Slice(ib * blockSize, blockSize);
            for (int j = 0; j < blockSize; ++j) weight[j] = xb[j] * xb[j];
            float amax = 0, max = 0;
            for (int j = 0; j < blockSize; ++j)
            {
                float ax = MathF.Abs(xb[j]);
                if (ax > amax) { amax = ax; max = xb[j]; }
            }
            if (amax < QuantMath.GroupMaxEps)
            {
                scales[ib] = 0;
                continue;
            }
            float d = ntry > 0 ? -max / values[0] : max / values[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < blockSize; ++j)
            {
                float al = id * xb[j];
                int l = BestIndex(values, al);
                Lb[j] = (byte)l;
                float q = values[l];
                float w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            d = sumqx / sumq2;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry)
            {
                id = (itry + values[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < blockSize; ++j)
                {
                    float al = id * xb[j];
                    int l = BestIndex(values, al);
                    float q = values[l];
                    float w = weight[j];
                    sumqx += w * q * xb[j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
                {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = MathF.Abs(d);
            if (absD > amaxScale) { amaxScale = absD; maxScale = d; }
        }

        if (superBlockSize / blockSize > 1)
        {
            int nb = superBlockSize / blockSize;
            scalesH.Slice(0, (nb + 7) / 8 * 2).Clear();
            ushort sh = 0;
            float d = -maxScale / 32;
            Fp16.Write(dst, offD, d);
            float id = d != 0 ? 1 / d : 0f;
            for (int ib = 0; ib < nb; ++ib)
            {
                int l = QuantMath.NearestInt(id * scales[ib]);
                l = Math.Max(-32, Math.Min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0f;
                var Lb = L.Slice(ib * blockSize, blockSize);
                var xb = x.Slice(ib * blockSize, blockSize);
                for (int j = 0; j < blockSize; ++j) Lb[j] = (byte)BestIndex(values, idl * xb[j]);
                l += 32;
                byte lLow = (byte)(l & 0xf);
                int lHigh = l >> 4;
                if (ib % 2 == 0) scalesL[ib / 2] = lLow;
                else scalesL[ib / 2] |= (byte)(lLow << 4);
                sh |= (ushort)(lHigh << (2 * (ib % 8)));
            }
            scalesH[0] = (byte)sh;
            scalesH[1] = (byte)(sh >> 8);
        }
        else
        {
            Fp16.Write(dst, offD, scales[0]);
            if (ntry > 0)
            {
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superBlockSize; ++j) L[j] = (byte)BestIndex(values, id * x[j]);
            }
        }

        for (int i = 0; i < superBlockSize / 32; ++i)
            for (int j = 0; j < 16; ++j)
                q4[16 * i + j] = (byte)(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
    }
}
