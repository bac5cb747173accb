using SharpInfer.Numerics.Quants;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// The super-block dots of ggml-cpu's <c>quants.c</c> against Q8_K activations (<c>ggml_vec_dot_q4_K_q8_K_generic</c> etc.).
/// ggml's generic Q3_K–Q6_K code keeps eight int32 lanes (<c>aux32[l]</c> collects every element whose index
/// is l mod 8), scales each lane by <c>d</c> into eight float lanes <c>sums[l]</c>, and adds the lanes in
/// order at the very end; the integer parts are exact in any order, the float steps are reproduced.
/// </summary>
internal static class KQuantDots
{
    private const int Q8KBytes = 292, Q8KQs = 4, Q8KBsums = 260;

    public static float Q2_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 256;
        float sumf = 0;
        for (int i = 0; i < nb; i++)
        {
            var bx = x.Slice(i * 84, 84);
            var by = y.Slice(i * Q8KBytes, Q8KBytes);
            int summs = 0;
            for (int j = 0; j < 16; j++) summs += VecDot.ReadI16(by, Q8KBsums + 2 * j) * (bx[j] >> 4);

            float yd = VecDot.ReadF32(by, 0);
            float dall = yd * Fp16.Read(bx, 80);
            float dmin = yd * Fp16.Read(bx, 82);

            int isum = 0, s = 0, q2 = 16, q8 = Q8KQs;
            for (int k = 0; k < 2; k++)
            {
                int shift = 0;
                for (int j = 0; j < 4; j++)
                {
                    int d = bx[s++] & 0xF;
                    int isuml = 0;
                    for (int l = 0; l < 16; l++) isuml += (sbyte)by[q8 + l] * ((bx[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    d = bx[s++] & 0xF;
                    isuml = 0;
                    for (int l = 16; l < 32; l++) isuml += (sbyte)by[q8 + l] * ((bx[q2 + l] >> shift) & 3);
                    isum += d * isuml;
                    shift += 2;
                    q8 += 32;
                }
                q2 += 32;
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }

    public static float Q3_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 256;
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        Span<sbyte> scales = stackalloc sbyte[16];
        sums.Clear();
        for (int i = 0; i < nb; i++)
        {
            var bx = x.Slice(i * 110, 110);
            var by = y.Slice(i * Q8KBytes, Q8KBytes);
            Q3_KFormat.UnpackScales(bx.Slice(96, 12), scales);
            aux32.Clear();
            // Element e = 128·h + 32·k + l uses bits 2k of qs[32h + l] and bit (4h + k) of hmask[l].
            for (int e = 0; e < 256; e++)
            {
                int h = e >> 7, k = (e >> 5) & 3, l = e & 31;
                int a = (bx[32 + 32 * h + l] >> (2 * k)) & 3;
                if ((bx[l] & (1 << (4 * h + k))) == 0) a -= 4;
                aux32[e & 7] += (scales[e >> 4] - 32) * ((sbyte)by[Q8KQs + e] * a);
            }
            float d = Fp16.Read(bx, 108) * VecDot.ReadF32(by, 0);
            for (int l = 0; l < 8; l++) sums[l] += d * aux32[l];
        }
        float sumf = 0;
        for (int l = 0; l < 8; l++) sumf += sums[l];
        return sumf;
    }

    public static float Q4_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n) => Q45_K(x, y, n, highBits: false);

    public static float Q5_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n) => Q45_K(x, y, n, highBits: true);

    /// <summary>Q4_K (144-byte blocks, qs at 16) and Q5_K (176-byte blocks, qh at 16, qs at 48).</summary>
    private static float Q45_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n, bool highBits)
    {
        int blockBytes = highBits ? 176 : 144, offQs = highBits ? 48 : 16;
        int nb = n / 256;
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        Span<byte> scales = stackalloc byte[8];
        Span<byte> mins = stackalloc byte[8];
        sums.Clear();
        float sumf = 0;
        for (int i = 0; i < nb; i++)
        {
            var bx = x.Slice(i * blockBytes, blockBytes);
            var by = y.Slice(i * Q8KBytes, Q8KBytes);
            var sc = bx.Slice(4, 12);
            for (int j = 0; j < 8; j++) QuantMath.GetScaleMinK4(j, sc, out scales[j], out mins[j]);

            int sumi = 0;
            for (int j = 0; j < 16; j++) sumi += VecDot.ReadI16(by, Q8KBsums + 2 * j) * mins[j / 2];

            aux32.Clear();
            // Element e = 64·c + 32·half + l: nibble `half` of qs[32c + l]; Q5_K's 5th bit is bit (2c + half) of qh[l].
            for (int e = 0; e < 256; e++)
            {
                int c = e >> 6, half = (e >> 5) & 1, l = e & 31;
                int a = (bx[offQs + 32 * c + l] >> (4 * half)) & 0xF;
                if (highBits && (bx[16 + l] & (1 << (2 * c + half))) != 0) a += 16;
                aux32[e & 7] += scales[e >> 5] * ((sbyte)by[Q8KQs + e] * a);
            }
            float yd = VecDot.ReadF32(by, 0);
            float d = Fp16.Read(bx, 0) * yd;
            for (int l = 0; l < 8; l++) sums[l] += d * aux32[l];
            float dmin = Fp16.Read(bx, 2) * yd;
            sumf -= dmin * sumi;
        }
        for (int l = 0; l < 8; l++) sumf += sums[l];
        return sumf;
    }

    public static float Q6_K(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 256;
        Span<float> sums = stackalloc float[8];
        Span<int> aux32 = stackalloc int[8];
        sums.Clear();
        for (int i = 0; i < nb; i++)
        {
            var bx = x.Slice(i * 210, 210);
            var by = y.Slice(i * Q8KBytes, Q8KBytes);
            aux32.Clear();
            // Element e = 128·h + 32·k + l: ql byte 64h + l + 32(k&1), nibble k>>1; qh byte 32h + l, bits 2k..2k+1.
            for (int e = 0; e < 256; e++)
            {
                int h = e >> 7, k = (e >> 5) & 3, l = e & 31;
                int low = (bx[64 * h + l + 32 * (k & 1)] >> (4 * (k >> 1))) & 0xF;
                int high = (bx[128 + 32 * h + l] >> (2 * k)) & 3;
                int a = (low | (high << 4)) - 32;
                aux32[e & 7] += (sbyte)bx[192 + (e >> 4)] * ((sbyte)by[Q8KQs + e] * a);
            }
            float d = Fp16.Read(bx, 208) * VecDot.ReadF32(by, 0);
            for (int l = 0; l < 8; l++) sums[l] += d * aux32[l];
        }
        float sumf = 0;
        for (int l = 0; l < 8; l++) sumf += sums[l];
        return sumf;
    }

    public static float IQ4_XS(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        var values = IQ4_NLFormat.Values;
        int nb = n / 256;
        float sumf = 0;
        for (int ibl = 0; ibl < nb; ibl++)
        {
            var bx = x.Slice(ibl * 136, 136);
            var by = y.Slice(ibl * Q8KBytes, Q8KBytes);
            float d4d8 = Fp16.Read(bx, 0) * VecDot.ReadF32(by, 0);
            int h = bx[2] | (bx[3] << 8);
            int qs = 8, q8 = Q8KQs;
            for (int ib = 0; ib < 8; ib += 2)
            {
                int ls1 = (bx[4 + ib / 2] & 0xf) | ((h << 4) & 0x30);
                int ls2 = (bx[4 + ib / 2] >> 4) | ((h << 2) & 0x30);
                h >>= 4;
                float d1 = d4d8 * (ls1 - 32);
                float d2 = d4d8 * (ls2 - 32);
                int sumi1 = 0, sumi2 = 0;
                for (int j = 0; j < 16; j++)
                {
                    sumi1 += (sbyte)by[q8 + j] * values[bx[qs + j] & 0xf];
                    sumi2 += (sbyte)by[q8 + j + 16] * values[bx[qs + j] >> 4];
                }
                sumf += d1 * (sumi1 + sumi2);
                qs += 16; q8 += 32;
                sumi1 = sumi2 = 0;
                for (int j = 0; j < 16; j++)
                {
                    sumi1 += (sbyte)by[q8 + j] * values[bx[qs + j] & 0xf];
                    sumi2 += (sbyte)by[q8 + j + 16] * values[bx[qs + j] >> 4];
                }
                sumf += d2 * (sumi1 + sumi2);
                qs += 16; q8 += 32;
            }
        }
        return sumf;
    }
}
