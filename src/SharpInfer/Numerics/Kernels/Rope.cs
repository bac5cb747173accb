using System.Runtime.Intrinsics;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// Rotary position embedding as ggml's <c>ggml_compute_forward_rope_f32</c>: <see cref="Cache"/> is
/// <c>ggml_rope_cache_init</c> + <c>rope_yarn</c> for one position (θ₀ = pos, θ ← θ·theta_scale per pair with
/// theta_scale = powf(freq_base, −2/n_dims), cosf/sinf · mscale), computed once per position and shared by all heads.
/// <see cref="ApplyNormal"/> rotates adjacent pairs (x[2i], x[2i+1]), <see cref="ApplyNeox"/> pairs (x[i], x[i + n_dims/2]);
/// dimensions past n_dims are copied. The rotation is x0·c − x1·s, x0·s + x1·c with separately rounded products
/// (no FMA) at every ISA level, so all levels give identical bits.
/// </summary>
public static unsafe class Rope
{
    /// <summary>cos/sin (length n_dims/2) of every rotated pair for one position.</summary>
    /// <param name="position">The token position (ggml's <c>p</c>).</param>
    /// <param name="nDims">Rotated dimensions (even).</param>
    /// <param name="freqBase">rope.freq_base.</param>
    /// <param name="freqScale">1 / rope scaling factor (1 = none).</param>
    /// <param name="extFactor">YaRN extrapolation mix (0 = off).</param>
    /// <param name="attnFactor">ggml's <c>attn_factor</c> (mscale).</param>
    /// <param name="corrLow">YaRN correction range start (see <see cref="YarnCorrDims"/>).</param>
    /// <param name="corrHigh">YaRN correction range end.</param>
    /// <param name="freqFactors">Optional per-pair divisors of θ (rope_freqs); empty = none.</param>
    /// <param name="cos">n_dims/2 cosines.</param>
    /// <param name="sin">n_dims/2 sines.</param>
    public static void Cache(float position, int nDims, float freqBase, float freqScale, float extFactor, float attnFactor,
                             float corrLow, float corrHigh, ReadOnlySpan<float> freqFactors, Span<float> cos, Span<float> sin)
    {
        int pairs = nDims / 2;
        if (cos.Length < pairs || sin.Length < pairs) throw new ArgumentException("cos/sin need n_dims/2 entries");
        if (!freqFactors.IsEmpty && freqFactors.Length < pairs) throw new ArgumentException("freq factors need n_dims/2 entries", nameof(freqFactors));
        float thetaScale = MathF.Pow(freqBase, -2.0f / nDims);
        float theta = position;
        for (int i = 0; i < pairs; i++)
        {
            float ff = freqFactors.IsEmpty ? 1.0f : freqFactors[i];
            float thetaExtrap = theta / ff;
            float thetaInterp = freqScale * thetaExtrap;
            float t = thetaInterp, mscale = attnFactor;
            if (extFactor != 0.0f)
            {
                float rampMix = YarnRamp(corrLow, corrHigh, 2 * i) * extFactor;
                t = thetaInterp * (1 - rampMix) + thetaExtrap * rampMix;
                mscale *= 1.0f + 0.1f * MathF.Log(1.0f / freqScale);
            }
            cos[i] = MathF.Cos(t) * mscale;
            sin[i] = MathF.Sin(t) * mscale;
            theta *= thetaScale;
        }
    }

    /// <summary><c>ggml_rope_yarn_corr_dims</c>: the dimension range over which YaRN blends interpolation and extrapolation.</summary>
    public static void YarnCorrDims(int nDims, int nCtxOrig, float freqBase, float betaFast, float betaSlow, out float low, out float high)
    {
        float start = MathF.Floor(CorrDim(nDims, nCtxOrig, betaFast, freqBase));
        float end = MathF.Ceiling(CorrDim(nDims, nCtxOrig, betaSlow, freqBase));
        low = MathF.Max(0, start);
        high = MathF.Min(nDims - 1, end);
    }

    private static float CorrDim(int nDims, int nCtxOrig, float nRot, float freqBase) =>
        nDims * MathF.Log(nCtxOrig / (nRot * 2 * MathF.PI)) / (2 * MathF.Log(freqBase));

    private static float YarnRamp(float low, float high, int i0)
    {
        float y = (i0 / 2 - low) / MathF.Max(0.001f, high - low);
        return 1 - MathF.Min(1, MathF.Max(0, y));
    }

    /// <summary>Rotates adjacent pairs of the first n_dims elements (llama-style); copies the rest. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void ApplyNormal(ReadOnlySpan<float> x, Span<float> y, int nDims, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin) =>
        ApplyWith(CpuKernels.Best, neox: false, x, y, nDims, cos, sin);

    /// <summary>Rotates pairs (i, i + n_dims/2) (GPT-NeoX style, e.g. Qwen); copies the rest. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void ApplyNeox(ReadOnlySpan<float> x, Span<float> y, int nDims, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin) =>
        ApplyWith(CpuKernels.Best, neox: true, x, y, nDims, cos, sin);

    internal static void ApplyWith(KernelIsa isa, bool neox, ReadOnlySpan<float> x, Span<float> y, int nDims, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = nDims / 2;
        if (nDims % 2 != 0 || nDims > x.Length) throw new ArgumentException($"n_dims {nDims} must be even and at most the row length {x.Length}");
        if (y.Length < x.Length || cos.Length < half || sin.Length < half) throw new ArgumentException("output or cos/sin too short");
        CpuKernels.Require(isa);
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pc = cos)
        fixed (float* ps = sin)
        {
            if (neox) Neox(isa, px, py, half, pc, ps);
            else Normal(isa, px, py, half, pc, ps);
            for (int i = nDims; i < x.Length; i++) py[i] = px[i];
        }
    }

    private static void Normal(KernelIsa isa, float* x, float* y, int pairs, float* c, float* s)
    {
        int i = 0;
        if (isa != KernelIsa.Scalar)
        {
            // lanes [x0 x1 x0' x1' …]: a = x·[c c …], b = swap(x)·[s s …], result = a + (b with even lanes negated)
            var negEven = Vector256.Create(0x80000000u, 0, 0x80000000u, 0, 0x80000000u, 0, 0x80000000u, 0).AsSingle();
            for (; i + 4 <= pairs; i += 4)
            {
                var c4 = Vector128.Load(c + i); var s4 = Vector128.Load(s + i);
                var cc = Vector256.Create(Vector128.Shuffle(c4, Vector128.Create(0, 0, 1, 1)), Vector128.Shuffle(c4, Vector128.Create(2, 2, 3, 3)));
                var ss = Vector256.Create(Vector128.Shuffle(s4, Vector128.Create(0, 0, 1, 1)), Vector128.Shuffle(s4, Vector128.Create(2, 2, 3, 3)));
                var v = Vector256.Load(x + 2 * i);
                var swapped = Vector256.Shuffle(v, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6));
                var a = v * cc;
                var b = swapped * ss;
                (a + (b ^ negEven)).Store(y + 2 * i);
            }
        }
        for (; i < pairs; i++)
        {
            float x0 = x[2 * i], x1 = x[2 * i + 1];
            y[2 * i] = x0 * c[i] - x1 * s[i];
            y[2 * i + 1] = x0 * s[i] + x1 * c[i];
        }
    }

    private static void Neox(KernelIsa isa, float* x, float* y, int half, float* c, float* s)
    {
        int i = 0;
        if (isa == KernelIsa.Avx512)
            for (; i + 16 <= half; i += 16)
            {
                var x0 = Vector512.Load(x + i); var x1 = Vector512.Load(x + i + half);
                var vc = Vector512.Load(c + i); var vs = Vector512.Load(s + i);
                var r0 = x0 * vc - x1 * vs;
                var r1 = x0 * vs + x1 * vc;
                r0.Store(y + i); r1.Store(y + i + half);
            }
        if (isa != KernelIsa.Scalar)
            for (; i + 8 <= half; i += 8)
            {
                var x0 = Vector256.Load(x + i); var x1 = Vector256.Load(x + i + half);
                var vc = Vector256.Load(c + i); var vs = Vector256.Load(s + i);
                var r0 = x0 * vc - x1 * vs;
                var r1 = x0 * vs + x1 * vc;
                r0.Store(y + i); r1.Store(y + i + half);
            }
        for (; i < half; i++)
        {
            float x0 = x[i], x1 = x[i + half];
            y[i] = x0 * c[i] - x1 * s[i];
            y[i + half] = x0 * s[i] + x1 * c[i];
        }
    }
}
