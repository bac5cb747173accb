using System.Runtime.InteropServices;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Backends;

/// <summary>ggml's generic row dot products, written out from ggml-cpu/quants.c as the tests' expectation.</summary>
public static class GgmlReferenceDot
{
    /// <summary>ggml_vec_dot_q4_0_q8_0_generic / ggml_vec_dot_q8_0_q8_0_generic on the file layout.</summary>
    public static float Dot(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<byte> a, int cols)
    {
        int wb = GgmlTypeInfo.Get(type).BytesPerBlock;
        float sumf = 0;
        for (int ib = 0; ib < cols / 32; ib++)
        {
            var x = w.Slice(ib * wb, wb);
            var y = a.Slice(ib * 34, 34);
            float dx = (float)MemoryMarshal.Read<Half>(x), dy = (float)MemoryMarshal.Read<Half>(y);
            int sumi = 0;
            if (type == GgmlType.Q4_0)
            {
                int sumi0 = 0, sumi1 = 0;
                for (int j = 0; j < 16; j++)
                {
                    int v0 = (x[2 + j] & 0x0F) - 8;
                    int v1 = (x[2 + j] >> 4) - 8;
                    sumi0 += v0 * (sbyte)y[2 + j];
                    sumi1 += v1 * (sbyte)y[2 + j + 16];
                }
                sumi = sumi0 + sumi1;
                sumf += sumi * dx * dy;
            }
            else
            {
                for (int j = 0; j < 32; j++) sumi += (sbyte)x[2 + j] * (sbyte)y[2 + j];
                sumf += sumi * (dx * dy);
            }
        }
        return sumf;
    }

}
