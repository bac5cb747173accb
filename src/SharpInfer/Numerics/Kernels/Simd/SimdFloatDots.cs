using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// Vector twins of <see cref="FloatDots"/> in the shape of ggml's SIMD <c>ggml_vec_dot_f32/f16</c>
/// (GGML_F32_STEP): 4 accumulators of 8 (AVX2) or 16 (AVX-512) float lanes with FMA, reduced pairwise, the
/// leftover elements added in double. The scalar twin sums every product in double, so results differ by float
/// summation: at most ~(n/lanes + 8)·2⁻²⁴·Σ|xᵢyᵢ|. F16·F16 and BF16·BF16 products are exact in float.
/// </summary>
internal static unsafe class SimdFloatDots
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float F32Avx2(byte* x, byte* y, int n)
    {
        float* a = (float*)x, b = (float*)y;
        var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            s0 = Fma.MultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
            s1 = Fma.MultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
            s2 = Fma.MultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
            s3 = Fma.MultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
        }
        double sum = Simd256.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += a[i] * b[i];
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float F32Avx512(byte* x, byte* y, int n)
    {
        float* a = (float*)x, b = (float*)y;
        var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
            s2 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), s2);
            s3 = Avx512F.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), s3);
        }
        double sum = Simd512.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += a[i] * b[i];
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float F16Avx2(byte* x, byte* y, int n)
    {
        var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            byte* a = x + 2 * i, b = y + 2 * i;
            s0 = Fma.MultiplyAdd(Simd256.LoadHalves(a), Simd256.LoadHalves(b), s0);
            s1 = Fma.MultiplyAdd(Simd256.LoadHalves(a + 16), Simd256.LoadHalves(b + 16), s1);
            s2 = Fma.MultiplyAdd(Simd256.LoadHalves(a + 32), Simd256.LoadHalves(b + 32), s2);
            s3 = Fma.MultiplyAdd(Simd256.LoadHalves(a + 48), Simd256.LoadHalves(b + 48), s3);
        }
        double sum = Simd256.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += Simd256.Half(x + 2 * i) * Simd256.Half(y + 2 * i);
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float F16Avx512(byte* x, byte* y, int n)
    {
        var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            byte* a = x + 2 * i, b = y + 2 * i;
            s0 = Avx512F.FusedMultiplyAdd(Simd512.LoadHalves(a), Simd512.LoadHalves(b), s0);
            s1 = Avx512F.FusedMultiplyAdd(Simd512.LoadHalves(a + 32), Simd512.LoadHalves(b + 32), s1);
            s2 = Avx512F.FusedMultiplyAdd(Simd512.LoadHalves(a + 64), Simd512.LoadHalves(b + 64), s2);
            s3 = Avx512F.FusedMultiplyAdd(Simd512.LoadHalves(a + 96), Simd512.LoadHalves(b + 96), s3);
        }
        double sum = Simd512.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += Simd256.Half(x + 2 * i) * Simd256.Half(y + 2 * i);
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Bf16Avx2(byte* x, byte* y, int n)
    {
        var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            byte* a = x + 2 * i, b = y + 2 * i;
            s0 = Fma.MultiplyAdd(Simd256.LoadBf16(a), Simd256.LoadBf16(b), s0);
            s1 = Fma.MultiplyAdd(Simd256.LoadBf16(a + 16), Simd256.LoadBf16(b + 16), s1);
            s2 = Fma.MultiplyAdd(Simd256.LoadBf16(a + 32), Simd256.LoadBf16(b + 32), s2);
            s3 = Fma.MultiplyAdd(Simd256.LoadBf16(a + 48), Simd256.LoadBf16(b + 48), s3);
        }
        double sum = Simd256.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += Bf16.ToFloat(((ushort*)x)[i]) * Bf16.ToFloat(((ushort*)y)[i]);
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Bf16Avx512(byte* x, byte* y, int n)
    {
        var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            byte* a = x + 2 * i, b = y + 2 * i;
            s0 = Avx512F.FusedMultiplyAdd(Simd512.LoadBf16(a), Simd512.LoadBf16(b), s0);
            s1 = Avx512F.FusedMultiplyAdd(Simd512.LoadBf16(a + 32), Simd512.LoadBf16(b + 32), s1);
            s2 = Avx512F.FusedMultiplyAdd(Simd512.LoadBf16(a + 64), Simd512.LoadBf16(b + 64), s2);
            s3 = Avx512F.FusedMultiplyAdd(Simd512.LoadBf16(a + 96), Simd512.LoadBf16(b + 96), s3);
        }
        double sum = Simd512.HSum((s0 + s2) + (s1 + s3));
        for (; i < n; i++) sum += Bf16.ToFloat(((ushort*)x)[i]) * Bf16.ToFloat(((ushort*)y)[i]);
        return (float)sum;
    }
}
