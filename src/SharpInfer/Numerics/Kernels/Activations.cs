using System.Runtime.Intrinsics;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// SiLU and SwiGLU as ggml-cpu's x86 build computes them (<c>ggml_vec_silu_f32</c>, <c>ggml_vec_swiglu_f32</c>):
/// silu(x) = x / (1 + exp(−x)) with <see cref="FastExp"/>, swiglu(x, g) = silu(x)·g. Element-wise, so every ISA
/// level returns identical bits (ggml itself falls back to libm <c>expf</c> for the last n mod 8 elements; we use
/// the same exp for all elements).
/// </summary>
public static unsafe class Activations
{
    /// <summary>y[i] = x[i] / (1 + exp(−x[i])). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y) => SiluWith(CpuKernels.Best, x, y);

    /// <summary>y[i] = silu(x[i]) · g[i] (the gated FFN activation). <paramref name="y"/> may alias either input.</summary>
    public static void SwiGlu(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y) => SwiGluWith(CpuKernels.Best, x, g, y);

    internal static void SiluWith(KernelIsa isa, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("output shorter than input", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
            Run(isa, px, null, py, x.Length);
    }

    internal static void SwiGluWith(KernelIsa isa, ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y)
    {
        if (g.Length < x.Length || y.Length < x.Length) throw new ArgumentException("gate/output shorter than input");
        fixed (float* px = x)
        fixed (float* pg = g)
        fixed (float* py = y)
            Run(isa, px, pg, py, x.Length);
    }

    private static void Run(KernelIsa isa, float* x, float* g, float* y, int n)
    {
        CpuKernels.Require(isa);
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                var s = v / (Vector512.Create(1f) + FastExp.V512(Vector512<float>.Zero - v));
                if (g != null) s *= Vector512.Load(g + i);
                s.Store(y + i);
            }
        }
        if (isa != KernelIsa.Scalar)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                var s = v / (Vector256.Create(1f) + FastExp.V256(Vector256<float>.Zero - v));
                if (g != null) s *= Vector256.Load(g + i);
                s.Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            float s = v / (1f + FastExp.Scalar(0f - v));
            y[i] = g != null ? s * g[i] : s;
        }
    }
}
