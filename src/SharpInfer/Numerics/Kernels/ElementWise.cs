using System.Runtime.Intrinsics;

namespace SharpInfer.Numerics.Kernels;

/// <summary>Element-wise float kernels (ggml_vec_add/mul/scale_f32). One IEEE operation per element: every ISA level gives identical bits.</summary>
public static unsafe class ElementWise
{
    /// <summary>y[i] = a[i] + b[i].</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => BinaryWith(CpuKernels.Best, a, b, y, multiply: false);

    /// <summary>y[i] = a[i] · b[i].</summary>
    public static void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => BinaryWith(CpuKernels.Best, a, b, y, multiply: true);

    /// <summary>y[i] = x[i] · s.</summary>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("output shorter than input", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
            ScaleWith(CpuKernels.Best, px, s, py, x.Length);
    }

    internal static void BinaryWith(KernelIsa isa, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, bool multiply)
    {
        if (b.Length < a.Length || y.Length < a.Length) throw new ArgumentException("operand or output shorter than the first operand");
        CpuKernels.Require(isa);
        int n = a.Length, i = 0;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* py = y)
        {
            if (isa == KernelIsa.Avx512)
                for (; i + 16 <= n; i += 16)
                {
                    var va = Vector512.Load(pa + i); var vb = Vector512.Load(pb + i);
                    (multiply ? va * vb : va + vb).Store(py + i);
                }
            if (isa != KernelIsa.Scalar)
                for (; i + 8 <= n; i += 8)
                {
                    var va = Vector256.Load(pa + i); var vb = Vector256.Load(pb + i);
                    (multiply ? va * vb : va + vb).Store(py + i);
                }
            for (; i < n; i++) py[i] = multiply ? pa[i] * pb[i] : pa[i] + pb[i];
        }
    }

    internal static void ScaleWith(KernelIsa isa, float* x, float s, float* y, int n)
    {
        CpuKernels.Require(isa);
        int i = 0;
        if (isa == KernelIsa.Avx512)
            for (; i + 16 <= n; i += 16) (Vector512.Load(x + i) * Vector512.Create(s)).Store(y + i);
        if (isa != KernelIsa.Scalar)
            for (; i + 8 <= n; i += 8) (Vector256.Load(x + i) * Vector256.Create(s)).Store(y + i);
        for (; i < n; i++) y[i] = x[i] * s;
    }
}
