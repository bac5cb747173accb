namespace SharpInfer.Tests.Models;

/// <summary>
/// How far our logits may be from llama.cpp's, per weight type and KV cache type, measured on the
/// reference files (max |logit diff| over every prompt position, 2026-11-29) and set a little
/// above the worst measurement.
/// </summary>
public static class ReferenceTolerances
{
    /// <summary>
    /// F32 weights, F32 cache: we follow ggml's numerics step by step (double-summed RMS norm,
    /// repeated-multiplication RoPE angles, ggml's vector exp in softmax and SiLU); only the
    /// summation order inside dot products differs. Measured ≤ 1.0e-5 (stories260K 6.7e-6,
    /// micro-llama 4.9e-6, micro-qwen2 7.9e-6, micro-qwen3 6.2e-6): 1e-4 leaves 10× headroom and is
    /// 100× below the smallest type-to-type difference in the reference README (F16 cache: 0.005).
    /// </summary>
    public const float F32 = 1e-4f;

    /// <summary>
    /// F32 weights, F16 cache. Measured 3.6e-3 (stories260K, max |logit| 22) and 1.3e-3
    /// (micro-llama). Positions 0–3 of stories260K agree to 3e-6, so the F16 path (q and the
    /// probabilities rounded to F16 as ggml's mul_mat does) is modelled right; the later drift
    /// comes from values whose F16 rounding flips on last-bit float differences and is then
    /// amplified. Not yet explained to the bit: below llama.cpp's own F16-vs-F32 cache difference
    /// (0.011 stories260K) by only 2–3×, so this is a weak bound — see the helper report.
    /// </summary>
    public const float F16Cache = 5e-3f;

    /// <summary>
    /// F16 weights (activations rounded to F16, ggml's vec_dot type). Measured 3.6e-3
    /// (micro-llama), 4.0e-3 (qwen2), 5.9e-3 (qwen3), already 3e-3 at position 0: a systematic
    /// residual not yet found (routing single matmuls through F32 activations makes it worse).
    /// The README's F16-vs-F32 weight difference is 0.011, so this bound is weak too.
    /// </summary>
    public const float F16Weights = 8e-3f;

    /// <summary>BF16 weights (activations rounded to BF16). Measured 4.7e-4; BF16-vs-F32 weights is 0.098.</summary>
    public const float BF16Weights = 1e-3f;
}
