using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// ggml's <c>ggml_compute_forward_rms_norm_f32</c>: sum = Σ (double)(x·x) (each square rounded to float, summed in
/// double), mean = (float)(sum/n), scale = 1/sqrtf(mean + eps), y = x·scale. The vector paths keep the float squares
/// and the double sum and differ from the scalar twin only in the order of the double additions (relative
/// difference of the sum ≤ n·2⁻⁵³, far below the float rounding of mean, so scale almost always comes out identical).
/// </summary>
public static unsafe class RmsNorm
{
    /// <summary>y = x / sqrt(mean(x²) + eps). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, float eps) => ApplyWith(CpuKernels.Best, x, y, eps);

    internal static void ApplyWith(KernelIsa isa, ReadOnlySpan<float> x, Span<float> y, float eps)
    {
        if (y.Length < x.Length) throw new ArgumentException("output shorter than input", nameof(y));
        CpuKernels.Require(isa);
        int n = x.Length;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            double sum = SumOfSquares(isa, px, n);
            float mean = (float)(sum / n);
            float scale = 1.0f / MathF.Sqrt(mean + eps);
            ElementWise.ScaleWith(isa, px, scale, py, n);
        }
    }

    internal static double SumOfSquares(KernelIsa isa, float* x, int n)
    {
        int i = 0;
        double sum = 0;
        if (isa != KernelIsa.Scalar)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                var sq = v * v; // rounded to float, as ggml's (ggml_float)(x*x)
                acc0 += Avx.ConvertToVector256Double(sq.GetLower());
                acc1 += Avx.ConvertToVector256Double(sq.GetUpper());
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++) sum += (double)(x[i] * x[i]);
        return sum;
    }
}
