using SharpInfer.Numerics.Quants;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// The activation quantizers of ggml's CPU backend (<c>type_traits_cpu[vec_dot_type].from_float</c>).
/// On x86 with AVX/AVX2 (the build llama.cpp's reference outputs come from), <c>quantize_row_q8_0</c> and
/// <c>quantize_row_q8_1</c> are SIMD versions that differ from the <c>_ref</c> code used for model files:
/// the inverse scale is <c>127/amax</c> (not <c>1/(amax/127)</c>) and values round half to even
/// (<c>_mm256_round_ps(…, _MM_ROUND_NEAREST)</c>), not half away from zero. We follow the x86 version;
/// <see cref="Quantization.Quantize"/> keeps the <c>_ref</c> one. Q8_K, F16 and BF16 use the same code as
/// their reference conversions (<c>quantize_row_q8_K</c> is <c>quantize_row_q8_K_ref</c> on x86).
/// </summary>
public static class ActivationQuantizer
{
    /// <summary>ggml-cpu x86 <c>quantize_row_q8_0</c>: 34-byte blocks, d = amax/127 (f16), q = rint(x·127/amax).</summary>
    public static void QuantizeQ8_0(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_0, x.Length, 32);
        for (int i = 0; i < nb; i++)
        {
            var xb = x.Slice(i * 32, 32);
            var b = dst.Slice(i * 34, 34);
            float maxScalar = MaxAbs(xb);
            float d = maxScalar / 127f;
            Fp16.Write(b, 0, d);
            float id = maxScalar != 0.0f ? 127f / maxScalar : 0.0f;
            for (int j = 0; j < 32; j++) b[2 + j] = (byte)(sbyte)RoundToInt8(xb[j] * id);
        }
    }

    /// <summary>ggml-cpu x86 <c>quantize_row_q8_1</c>: as <see cref="QuantizeQ8_0"/> plus s = d·Σq (f16); 36-byte blocks.</summary>
    public static void QuantizeQ8_1(ReadOnlySpan<float> x, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_1, x.Length, 32);
        for (int i = 0; i < nb; i++)
        {
            var xb = x.Slice(i * 32, 32);
            var b = dst.Slice(i * 36, 36);
            float maxScalar = MaxAbs(xb);
            float d = maxScalar / 127f;
            Fp16.Write(b, 0, d);
            float id = maxScalar != 0.0f ? 127f / maxScalar : 0.0f;
            int sum = 0;
            for (int j = 0; j < 32; j++)
            {
                int q = RoundToInt8(xb[j] * id);
                sum += q;
                b[4 + j] = (byte)(sbyte)q;
            }
            Fp16.Write(b, 2, d * sum);
        }
    }

    private static float MaxAbs(ReadOnlySpan<float> xb)
    {
        float m = 0;
        for (int j = 0; j < xb.Length; j++) m = MathF.Max(m, MathF.Abs(xb[j]));
        return m;
    }

    /// <summary>Round half to even, then the signed saturation of <c>_mm256_packs_epi32/epi16</c>.</summary>
    private static int RoundToInt8(float v)
    {
        int r = (int)MathF.Round(v, MidpointRounding.ToEven);
        return Math.Clamp(r, -128, 127);
    }
}
