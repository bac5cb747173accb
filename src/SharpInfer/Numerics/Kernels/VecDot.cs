using System.Buffers.Binary;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// Row dot products as ggml's CPU backend computes them for a matrix multiplication: the activation row
/// is first converted to the weight's <see cref="ActivationType"/> (<see cref="QuantizeActivations"/>), then
/// <see cref="Dot"/> follows ggml's generic scalar <c>ggml_vec_dot_*</c> arithmetic — integer block sums,
/// times the scales, accumulated in the same order. Allocation-free.
/// </summary>
public static class VecDot
{
    /// <summary>Whether <see cref="Dot"/> supports <paramref name="weightType"/>.</summary>
    public static bool Supports(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or
        GgmlType.IQ4_NL or GgmlType.IQ4_XS => true,
        _ => false,
    };

    /// <summary>ggml's <c>vec_dot_type</c>: the type activations are converted to before a dot with <paramref name="weightType"/>.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 => GgmlType.F32,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_XS => GgmlType.Q8_K,
        _ => throw new NotSupportedException($"no dot product for weight type {GgmlTypeInfo.Get(weightType).Name}"),
    };

    /// <summary>Bytes needed for <paramref name="n"/> activations converted for a dot with <paramref name="weightType"/>.</summary>
    public static int ActivationRowBytes(GgmlType weightType, int n)
    {
        var info = GgmlTypeInfo.Get(ActivationType(weightType));
        if (n % info.BlockSize != 0)
            throw new ArgumentException($"{info.Name}: {n} elements is not a multiple of the block size {info.BlockSize}");
        return (int)info.RowBytes(n);
    }

    /// <summary>Converts an activation row to the weight's <see cref="ActivationType"/> as ggml-cpu's <c>from_float</c> does (vectorized where the CPU allows; bit-exact with the scalar code).</summary>
    public static void QuantizeActivations(GgmlType weightType, ReadOnlySpan<float> x, Span<byte> dst) =>
        QuantizeActivationsWith(CpuKernels.Best, weightType, x, dst);

    /// <summary><see cref="QuantizeActivations"/> with the code of a chosen level.</summary>
    internal static unsafe void QuantizeActivationsWith(KernelIsa isa, GgmlType weightType, ReadOnlySpan<float> x, Span<byte> dst)
    {
        int need = ActivationRowBytes(weightType, x.Length);
        if (dst.Length < need) throw new ArgumentException($"activation buffer has {dst.Length} bytes, needs {need}", nameof(dst));
        CpuKernels.Require(isa);
        var type = ActivationType(weightType);
        if (isa != KernelIsa.Scalar && type is GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.Q8_K)
        {
            fixed (float* px = x)
            fixed (byte* pd = dst)
            {
                bool avx512 = isa == KernelIsa.Avx512;
                switch (type)
                {
                    case GgmlType.Q8_0 when avx512: SimdActivationQuantizer.Q8_0Avx512(px, pd, x.Length, withSums: false); break;
                    case GgmlType.Q8_0: SimdActivationQuantizer.Q8_0Avx2(px, pd, x.Length, withSums: false); break;
                    case GgmlType.Q8_1 when avx512: SimdActivationQuantizer.Q8_0Avx512(px, pd, x.Length, withSums: true); break;
                    case GgmlType.Q8_1: SimdActivationQuantizer.Q8_0Avx2(px, pd, x.Length, withSums: true); break;
                    case GgmlType.Q8_K when avx512: SimdActivationQuantizer.Q8_KAvx512(px, pd, x.Length); break;
                    default: SimdActivationQuantizer.Q8_KAvx2(px, pd, x.Length); break;
                }
            }
            return;
        }
        switch (type)
        {
            case GgmlType.Q8_0: ActivationQuantizer.QuantizeQ8_0(x, dst); break;
            case GgmlType.Q8_1: ActivationQuantizer.QuantizeQ8_1(x, dst); break;
            case GgmlType.Q8_K: Quantization.Quantize(GgmlType.Q8_K, x, dst); break;
            case GgmlType.F32: Quantization.Quantize(GgmlType.F32, x, dst); break;
            case GgmlType.F16: Quantization.Quantize(GgmlType.F16, x, dst); break;
            case GgmlType.BF16: Quantization.Quantize(GgmlType.BF16, x, dst); break;
        }
    }

    /// <summary>
    /// Dot product of <paramref name="n"/> elements: <paramref name="weightRow"/> stored as
    /// <paramref name="weightType"/>, <paramref name="activationRow"/> stored as <see cref="ActivationType"/>.
    /// Runs <see cref="DotKernels.Best"/> (the fastest kernel on this CPU); the vector kernels compute the same
    /// integer block sums as ggml's scalar code and differ from it only in the order of float additions.
    /// Activations must come from <see cref="QuantizeActivations"/> (the vector kernels rely on its int8 range −127..127).
    /// </summary>
    public static unsafe float Dot(GgmlType weightType, ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, int n)
    {
        Validate(weightType, weightRow, activationRow, n);
        var kernel = DotKernels.Best(weightType);
        fixed (byte* w = weightRow)
        fixed (byte* a = activationRow)
            return kernel(w, a, n);
    }

    /// <summary><see cref="Dot"/> with the kernel written for a chosen level.</summary>
    internal static unsafe float DotWith(KernelIsa isa, GgmlType weightType, ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, int n)
    {
        Validate(weightType, weightRow, activationRow, n);
        var kernel = DotKernels.For(weightType, isa);
        fixed (byte* w = weightRow)
        fixed (byte* a = activationRow)
            return kernel(w, a, n);
    }

    private static void Validate(GgmlType weightType, ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, int n)
    {
        var wInfo = GgmlTypeInfo.Get(weightType);
        if (!Supports(weightType)) throw new NotSupportedException($"no dot product for weight type {wInfo.Name}");
        if (n < 0 || n % wInfo.BlockSize != 0)
            throw new ArgumentException($"{wInfo.Name}: {n} elements is not a multiple of the block size {wInfo.BlockSize}");
        if (weightRow.Length < wInfo.RowBytes(n)) throw new ArgumentException("weight row too short", nameof(weightRow));
        if (activationRow.Length < ActivationRowBytes(weightType, n)) throw new ArgumentException("activation row too short", nameof(activationRow));
    }

    internal static float ReadF32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadSingleLittleEndian(b.Slice(offset, 4));
    internal static short ReadI16(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadInt16LittleEndian(b.Slice(offset, 2));
}
