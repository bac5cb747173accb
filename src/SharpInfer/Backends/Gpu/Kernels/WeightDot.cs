using ILGPU;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>
/// One weight row (in the file's block format) dotted with a float activation row, inside a kernel.
/// The blocks are decoded as ggml's dequantize_row_* does; the activations stay in float (ggml's CPU
/// backend instead rounds them to the weight's vec_dot type, which is where results differ).
/// </summary>
internal static class WeightDot
{
    // ggml type ids (GgmlType), repeated as constants because kernels cannot call into managed enums' helpers.
    public const int F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q5_K = 13, Q6_K = 14, BF16 = 30;

    public static bool IsDirect(int type) =>
        type is F32 or F16 or BF16 or Q4_0 or Q8_0 or Q4_K or Q5_K or Q6_K;

    public static float Dot(int type, ArrayView<byte> w, long row, ArrayView<float> x, long xo, int k)
    {
        switch (type)
        {
            case F32: return DotF32(w, row, x, xo, k);
            case F16: return DotF16(w, row, x, xo, k);
            case BF16: return DotBF16(w, row, x, xo, k);
            case Q4_0: return DotQ4_0(w, row, x, xo, k);
            case Q8_0: return DotQ8_0(w, row, x, xo, k);
            case Q4_K: return DotQ4_K(w, row, x, xo, k);
            case Q5_K: return DotQ5_K(w, row, x, xo, k);
            default: return DotQ6_K(w, row, x, xo, k);
        }
    }

    private static uint U16(ArrayView<byte> w, long o) => (uint)w[o] | ((uint)w[o + 1] << 8);

    private static float DotF32(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int i = 0; i < k; i++)
        {
            long b = o + 4L * i;
            uint bits = (uint)w[b] | ((uint)w[b + 1] << 8) | ((uint)w[b + 2] << 16) | ((uint)w[b + 3] << 24);
            s += Interop.IntAsFloat(bits) * x[xo + i];
        }
        return s;
    }

    private static float DotF16(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int i = 0; i < k; i++) s += DeviceMath.HalfToFloat(U16(w, o + 2L * i)) * x[xo + i];
        return s;
    }

    private static float DotBF16(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int i = 0; i < k; i++) s += DeviceMath.BFloat16ToFloat(U16(w, o + 2L * i)) * x[xo + i];
        return s;
    }

    // block_q4_0: f16 d, 16 bytes of nibbles; element j = low nibble of qs[j] − 8, element j+16 = high nibble − 8.
    private static float DotQ4_0(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int b = 0; b < k / 32; b++)
        {
            long bo = o + 18L * b;
            float d = DeviceMath.HalfToFloat(U16(w, bo));
            long xb = xo + 32L * b;
            float acc = 0;
            for (int j = 0; j < 16; j++)
            {
                int q = w[bo + 2 + j];
                acc += ((q & 0xF) - 8) * x[xb + j] + ((q >> 4) - 8) * x[xb + j + 16];
            }
            s += d * acc;
        }
        return s;
    }

    // block_q8_0: f16 d, 32 signed bytes.
    private static float DotQ8_0(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int b = 0; b < k / 32; b++)
        {
            long bo = o + 34L * b;
            float d = DeviceMath.HalfToFloat(U16(w, bo));
            long xb = xo + 32L * b;
            float acc = 0;
            for (int j = 0; j < 32; j++) acc += (sbyte)w[bo + 2 + j] * x[xb + j];
            s += d * acc;
        }
        return s;
    }

    // get_scale_min_k4: 6-bit scale and min j (0..7) of a Q4_K/Q5_K super-block's 12 scale bytes at so.
    private static int Scale6(ArrayView<byte> w, long so, int j) =>
        j < 4 ? w[so + j] & 63 : (w[so + j + 4] & 0xF) | ((w[so + j - 4] >> 6) << 4);

    private static int Min6(ArrayView<byte> w, long so, int j) =>
        j < 4 ? w[so + j + 4] & 63 : (w[so + j + 4] >> 4) | ((w[so + j] >> 6) << 4);

    // block_q4_K (144 bytes): f16 d, f16 dmin, 12 scale bytes, 128 bytes of nibbles.
    private static float DotQ4_K(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int b = 0; b < k / 256; b++)
        {
            long bo = o + 144L * b;
            float d = DeviceMath.HalfToFloat(U16(w, bo));
            float dmin = DeviceMath.HalfToFloat(U16(w, bo + 2));
            long so = bo + 4, qo = bo + 16;
            long xb = xo + 256L * b;
            for (int j = 0; j < 4; j++)
            {
                float d1 = d * Scale6(w, so, 2 * j), m1 = dmin * Min6(w, so, 2 * j);
                float d2 = d * Scale6(w, so, 2 * j + 1), m2 = dmin * Min6(w, so, 2 * j + 1);
                long q = qo + 32L * j;
                long xj = xb + 64L * j;
                for (int l = 0; l < 32; l++)
                {
                    int v = w[q + l];
                    s += (d1 * (v & 0xF) - m1) * x[xj + l] + (d2 * (v >> 4) - m2) * x[xj + 32 + l];
                }
            }
        }
        return s;
    }

    // block_q5_K (176 bytes): f16 d, f16 dmin, 12 scale bytes, 32 bytes of high bits, 128 bytes of nibbles.
    private static float DotQ5_K(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int b = 0; b < k / 256; b++)
        {
            long bo = o + 176L * b;
            float d = DeviceMath.HalfToFloat(U16(w, bo));
            float dmin = DeviceMath.HalfToFloat(U16(w, bo + 2));
            long so = bo + 4, ho = bo + 16, qo = bo + 48;
            long xb = xo + 256L * b;
            for (int j = 0; j < 4; j++)
            {
                float d1 = d * Scale6(w, so, 2 * j), m1 = dmin * Min6(w, so, 2 * j);
                float d2 = d * Scale6(w, so, 2 * j + 1), m2 = dmin * Min6(w, so, 2 * j + 1);
                int u1 = 1 << (2 * j), u2 = 2 << (2 * j);
                long q = qo + 32L * j;
                long xj = xb + 64L * j;
                for (int l = 0; l < 32; l++)
                {
                    int v = w[q + l];
                    int h = w[ho + l];
                    int lo = (v & 0xF) + ((h & u1) != 0 ? 16 : 0);
                    int hi = (v >> 4) + ((h & u2) != 0 ? 16 : 0);
                    s += (d1 * lo - m1) * x[xj + l] + (d2 * hi - m2) * x[xj + 32 + l];
                }
            }
        }
        return s;
    }

    // block_q6_K (210 bytes): 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 signed scales, f16 d.
    private static float DotQ6_K(ArrayView<byte> w, long o, ArrayView<float> x, long xo, int k)
    {
        float s = 0;
        for (int b = 0; b < k / 256; b++)
        {
            long bo = o + 210L * b;
            float d = DeviceMath.HalfToFloat(U16(w, bo + 208));
            long xb = xo + 256L * b;
            for (int half = 0; half < 2; half++)
            {
                long ql = bo + 64L * half, qh = bo + 128 + 32L * half, sc = bo + 192 + 8L * half;
                long xh = xb + 128L * half;
                for (int l = 0; l < 32; l++)
                {
                    int is0 = l / 16;
                    int lo = w[ql + l], lo2 = w[ql + l + 32], h = w[qh + l];
                    int q1 = ((lo & 0xF) | (((h >> 0) & 3) << 4)) - 32;
                    int q2 = ((lo2 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((lo >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((lo2 >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    s += d * (sbyte)w[sc + is0] * q1 * x[xh + l]
                       + d * (sbyte)w[sc + is0 + 2] * q2 * x[xh + l + 32]
                       + d * (sbyte)w[sc + is0 + 4] * q3 * x[xh + l + 64]
                       + d * (sbyte)w[sc + is0 + 6] * q4 * x[xh + l + 96];
                }
            }
        }
        return s;
    }
}
