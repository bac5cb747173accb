using ILGPU;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>
/// Scalar helpers callable from kernels (CUDA and ILGPU's CPU accelerator alike): only integer and
/// float arithmetic and bit reinterpretation, no library math that PTX would need libdevice for.
/// </summary>
internal static class DeviceMath
{
    /// <summary>IEEE half bits to float, exactly (subnormals included).</summary>
    public static float HalfToFloat(uint h)
    {
        uint sign = (h >> 15) & 1u;
        uint exp = (h >> 10) & 0x1Fu;
        uint mant = h & 0x3FFu;
        if (exp == 0)
        {
            float v = mant * 5.9604644775390625e-8f; // mant · 2^-24, exact
            return sign != 0 ? -v : v;
        }
        if (exp == 31) return Interop.IntAsFloat((sign << 31) | 0x7F800000u | (mant << 13));
        return Interop.IntAsFloat((sign << 31) | ((exp + 112u) << 23) | (mant << 13));
    }

    /// <summary>Float to half bits, rounding to nearest even (as F16C's vcvtps2ph and CUDA's __float2half).</summary>
    public static uint FloatToHalf(float f)
    {
        uint x = Interop.FloatAsInt(f);
        uint sign = (x >> 16) & 0x8000u;
        uint abs = x & 0x7FFFFFFFu;
        if (abs >= 0x7F800000u) return sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u);
        if (abs >= 0x477FF000u) return sign | 0x7C00u; // rounds past 65504
        if (abs < 0x38800000u)
        {
            if (abs <= 0x33000000u) return sign; // at most half of the smallest subnormal: ties to zero
            int e = (int)(abs >> 23);
            uint m = (abs & 0x7FFFFFu) | 0x800000u;
            int shift = 126 - e;
            uint h = m >> shift;
            uint rem = m & ((1u << shift) - 1u);
            uint halfway = 1u << (shift - 1);
            if (rem > halfway || (rem == halfway && (h & 1u) != 0)) h++;
            return sign | h;
        }
        uint r = (abs - 0x38000000u) >> 13;
        uint low = abs & 0x1FFFu;
        if (low > 0x1000u || (low == 0x1000u && (r & 1u) != 0)) r++;
        return sign | r;
    }

    /// <summary>Rounds through half precision (what storing to an F16 KV cache does).</summary>
    public static float RoundToHalf(float f) => HalfToFloat(FloatToHalf(f));

    /// <summary>ggml's nearest_int: round to nearest even through the float magic number (|v| &lt; 2^22).</summary>
    public static int NearestInt(float v)
    {
        float f = v + 12582912f;
        return (int)(Interop.FloatAsInt(f) & 0x007FFFFFu) - 0x00400000;
    }

    /// <summary>Rounds through bfloat16 as ggml's FP32_TO_BF16 (nearest even; NaN kept quiet).</summary>
    public static float RoundToBFloat16(float f)
    {
        uint u = Interop.FloatAsInt(f);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) return BFloat16ToFloat((u >> 16) | 64u);
        return BFloat16ToFloat((u + (0x7FFFu + ((u >> 16) & 1u))) >> 16);
    }

    public static float BFloat16ToFloat(uint b) => Interop.IntAsFloat(b << 16);

    /// <summary>
    /// ggml_v_expf's polynomial (the CPU backend's softmax and SiLU exp) with separate multiply and
    /// add instead of fused ones: within about 2 ulp of it.
    /// </summary>
    public static float Exp(float x)
    {
        const float R = 12582912f;
        float log2e = Interop.IntAsFloat(0x3FB8AA3Bu);
        float ln2Hi = Interop.IntAsFloat(0x3F317200u);
        float ln2Lo = Interop.IntAsFloat(0x35BFBE8Eu);
        float c1 = Interop.IntAsFloat(0x3F7FFFF6u);
        float c2 = Interop.IntAsFloat(0x3EFFFEDBu);
        float c3 = Interop.IntAsFloat(0x3E2AAF33u);
        float c4 = Interop.IntAsFloat(0x3D2B9F17u);
        float c5 = Interop.IntAsFloat(0x3C072010u);
        if ((Interop.FloatAsInt(x) & 0x7FFFFFFFu) > 0x7F800000u) return x;
        float z = x * log2e + R;
        float n = z - R;
        if (n > 192f) return Interop.IntAsFloat(0x7F800000u);
        if (n < -192f) return 0f;
        float b = x - n * ln2Hi - n * ln2Lo;
        float u = b * b;
        float j = ((c5 * b + c4) * u + (c3 * b + c2)) * u + (c1 * b + 1.0f);
        int ni = (int)n;
        int n1 = ni / 2;
        int n2 = ni - n1;
        return j * Pow2(n1) * Pow2(n2);
    }

    /// <summary>2^n for n in [-126, 127] built from its bits.</summary>
    private static float Pow2(int n) => Interop.IntAsFloat((uint)(n + 127) << 23);

    public static float Silu(float x) => x / (1.0f + Exp(0.0f - x));
}
