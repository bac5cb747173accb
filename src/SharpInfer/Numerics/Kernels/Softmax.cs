using System.Runtime.Intrinsics;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// One row of ggml's <c>ggml_compute_forward_soft_max_f32</c> (<c>ggml_soft_max_ext</c>): w = x·scale (+ slope·mask),
/// max = max(w), e = exp(w − max) with <see cref="FastExp"/>, sum = Σ e in double, y = e·(float)(1/sum).
/// w, max and every e are identical at all ISA levels; the scalar twin adds each e to the double sum, the vector
/// paths add float partial sums of 8 (AVX2, ggml's hsum order) or 16 (AVX-512) lanes to it, as ggml's x86 builds do,
/// so the sums differ in float summation order only: |Δsum| ≤ 16·2⁻²⁴·sum, hence each y within ~16 ulp (tested).
/// </summary>
public static unsafe class Softmax
{
    /// <summary>Softmax of <paramref name="x"/> into <paramref name="y"/> (may alias). An empty <paramref name="mask"/> means no mask.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, float scale = 1f, ReadOnlySpan<float> mask = default, float slope = 1f) =>
        ApplyWith(CpuKernels.Best, x, y, scale, mask, slope);

    internal static void ApplyWith(KernelIsa isa, ReadOnlySpan<float> x, Span<float> y, float scale, ReadOnlySpan<float> mask, float slope)
    {
        int n = x.Length;
        if (y.Length < n) throw new ArgumentException("output shorter than input", nameof(y));
        if (!mask.IsEmpty && mask.Length < n) throw new ArgumentException("mask shorter than input", nameof(mask));
        CpuKernels.Require(isa);
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pm = mask)
        {
            // w = x·scale (+ slope·mask), written to y; then the max.
            ElementWise.ScaleWith(isa, px, scale, py, n);
            if (!mask.IsEmpty)
                for (int i = 0; i < n; i++) py[i] += slope * pm[i];
            float max = float.NegativeInfinity;
            for (int i = 0; i < n; i++) max = py[i] > max ? py[i] : max;

            double sum = 0;
            int k = 0;
            if (isa == KernelIsa.Avx512)
                for (; k + 16 <= n; k += 16)
                {
                    var e = FastExp.V512(Vector512.Load(py + k) - Vector512.Create(max));
                    e.Store(py + k);
                    sum += Simd512.HSum(e);
                }
            if (isa == KernelIsa.Avx2)
                for (; k + 8 <= n; k += 8)
                {
                    var e = FastExp.V256(Vector256.Load(py + k) - Vector256.Create(max));
                    e.Store(py + k);
                    sum += Simd256.HSum(e);
                }
            for (; k < n; k++)
            {
                float e = FastExp.Scalar(py[k] - max);
                py[k] = e;
                sum += e;
            }
            sum = 1.0 / sum;
            ElementWise.ScaleWith(isa, py, (float)sum, py, n);
        }
    }
}
