using System.Buffers.Binary;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// The 32-value block dots of ggml-cpu's <c>quants.c</c> (<c>ggml_vec_dot_q4_0_q8_0_generic</c> etc.).
/// Integer sums are exact, so only the float expressions (copied operand for operand) decide the result.
/// </summary>
internal static class LegacyDots
{
    private const int Q8_0Bytes = 34, Q8_1Bytes = 36;

    public static float Q4_0(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * 18, 18);
            var by = y.Slice(ib * Q8_0Bytes, Q8_0Bytes);
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int v0 = (bx[2 + j] & 0x0F) - 8;
                int v1 = (bx[2 + j] >> 4) - 8;
                sumi0 += v0 * (sbyte)by[2 + j];
                sumi1 += v1 * (sbyte)by[2 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += sumi * Fp16.Read(bx, 0) * Fp16.Read(by, 0);
        }
        return sumf;
    }

    public static float Q4_1(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * 20, 20);
            var by = y.Slice(ib * Q8_1Bytes, Q8_1Bytes);
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int v0 = bx[4 + j] & 0x0F;
                int v1 = bx[4 + j] >> 4;
                sumi0 += v0 * (sbyte)by[4 + j];
                sumi1 += v1 * (sbyte)by[4 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (Fp16.Read(bx, 0) * Fp16.Read(by, 0)) * sumi + Fp16.Read(bx, 2) * Fp16.Read(by, 2);
        }
        return sumf;
    }

    public static float Q5_0(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * 22, 22);
            var by = y.Slice(ib * Q8_0Bytes, Q8_0Bytes);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(bx.Slice(2, 4));
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = ((bx[6 + j] & 0x0F) | xh0) - 16;
                int x1 = ((bx[6 + j] >> 4) | xh1) - 16;
                sumi0 += x0 * (sbyte)by[2 + j];
                sumi1 += x1 * (sbyte)by[2 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (Fp16.Read(bx, 0) * Fp16.Read(by, 0)) * sumi;
        }
        return sumf;
    }

    public static float Q5_1(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * 24, 24);
            var by = y.Slice(ib * Q8_1Bytes, Q8_1Bytes);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(bx.Slice(4, 4));
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)(((qh >> j) << 4) & 0x10);
                int xh1 = (int)((qh >> (j + 12)) & 0x10);
                int x0 = (bx[8 + j] & 0x0F) | xh0;
                int x1 = (bx[8 + j] >> 4) | xh1;
                sumi0 += x0 * (sbyte)by[4 + j];
                sumi1 += x1 * (sbyte)by[4 + j + 16];
            }
            int sumi = sumi0 + sumi1;
            sumf += (Fp16.Read(bx, 0) * Fp16.Read(by, 0)) * sumi + Fp16.Read(bx, 2) * Fp16.Read(by, 2);
        }
        return sumf;
    }

    public static float Q8_0(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * Q8_0Bytes, Q8_0Bytes);
            var by = y.Slice(ib * Q8_0Bytes, Q8_0Bytes);
            int sumi = 0;
            for (int j = 0; j < 32; j++) sumi += (sbyte)bx[2 + j] * (sbyte)by[2 + j];
            sumf += sumi * (Fp16.Read(bx, 0) * Fp16.Read(by, 0));
        }
        return sumf;
    }

    public static float IQ4_NL(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        var values = IQ4_NLFormat.Values;
        int nb = n / 32;
        float sumf = 0;
        for (int ib = 0; ib < nb; ib++)
        {
            var bx = x.Slice(ib * 18, 18);
            var by = y.Slice(ib * Q8_0Bytes, Q8_0Bytes);
            float d = Fp16.Read(by, 0) * Fp16.Read(bx, 0);
            int sumi1 = 0, sumi2 = 0;
            for (int j = 0; j < 16; j++)
            {
                sumi1 += (sbyte)by[2 + j] * values[bx[2 + j] & 0xf];
                sumi2 += (sbyte)by[2 + j + 16] * values[bx[2 + j] >> 4];
            }
            sumf += d * (sumi1 + sumi2);
        }
        return sumf;
    }
}
