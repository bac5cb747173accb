using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpInfer.Models.Compute;

/// <summary>
/// Dot products of the plain float types, summed in float like ggml's vec_dot_f32/f16/bf16 on
/// SIMD hardware (several vector accumulators, then a horizontal reduce). Every vector path has a
/// scalar twin (<see cref="F32Scalar"/> …) that tests hold it to.
/// </summary>
internal static unsafe class DotKernels
{
    public static float F32(float* x, float* y, int n) =>
        Vector256.IsHardwareAccelerated && n >= 32 ? F32Vector(x, y, n) : F32Scalar(x, y, n);

    public static float F32Scalar(float* x, float* y, int n)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var i = 0;
        for (; i + 4 <= n; i += 4)
        {
            s0 += x[i] * y[i];
            s1 += x[i + 1] * y[i + 1];
            s2 += x[i + 2] * y[i + 2];
            s3 += x[i + 3] * y[i + 3];
        }
        for (; i < n; i++) s0 += x[i] * y[i];
        return (s0 + s2) + (s1 + s3);
    }

    private static float F32Vector(float* x, float* y, int n)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        var i = 0;
        for (; i + 32 <= n; i += 32)
        {
            a0 = Fma(Vector256.Load(x + i), Vector256.Load(y + i), a0);
            a1 = Fma(Vector256.Load(x + i + 8), Vector256.Load(y + i + 8), a1);
            a2 = Fma(Vector256.Load(x + i + 16), Vector256.Load(y + i + 16), a2);
            a3 = Fma(Vector256.Load(x + i + 24), Vector256.Load(y + i + 24), a3);
        }
        for (; i + 8 <= n; i += 8) a0 = Fma(Vector256.Load(x + i), Vector256.Load(y + i), a0);
        var sum = Vector256.Sum((a0 + a2) + (a1 + a3));
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>Half · half: each product is exact in float, so only the summation order differs from ggml.</summary>
    public static float F16(ushort* x, ushort* y, int n) =>
        Vector256.IsHardwareAccelerated && n >= 16 ? F16Vector(x, y, n) : F16Scalar(x, y, n);

    public static float F16Scalar(ushort* x, ushort* y, int n)
    {
        var t = FloatFormats.HalfToFloatTable;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var i = 0;
        for (; i + 4 <= n; i += 4)
        {
            s0 += t[x[i]] * t[y[i]];
            s1 += t[x[i + 1]] * t[y[i + 1]];
            s2 += t[x[i + 2]] * t[y[i + 2]];
            s3 += t[x[i + 3]] * t[y[i + 3]];
        }
        for (; i < n; i++) s0 += t[x[i]] * t[y[i]];
        return (s0 + s2) + (s1 + s3);
    }

    private static float F16Vector(ushort* x, ushort* y, int n)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var xv = Vector256.Load(x + i);
            var yv = Vector256.Load(y + i);
            a0 = Fma(HalfToFloat(Vector256.WidenLower(xv)), HalfToFloat(Vector256.WidenLower(yv)), a0);
            a1 = Fma(HalfToFloat(Vector256.WidenUpper(xv)), HalfToFloat(Vector256.WidenUpper(yv)), a1);
        }
        var sum = Vector256.Sum(a0 + a1);
        var t = FloatFormats.HalfToFloatTable;
        for (; i < n; i++) sum += t[x[i]] * t[y[i]];
        return sum;
    }

    /// <summary>
    /// Exact half → float on 8 lanes: the exponent and mantissa bits moved into float position are
    /// a float 2^112 times too small (subnormal halves included), so one multiplication fixes them;
    /// infinities and NaNs get the all-ones exponent.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToFloat(Vector256<uint> h)
    {
        var em = h & Vector256.Create(0x7fffu);
        var sign = (h & Vector256.Create(0x8000u)) << 16;
        var scaled = (em << 13).AsSingle() * Vector256.Create(BitConverter.Int32BitsToSingle(0x77800000));
        var special = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7c00u));
        var infNan = (em << 13) | Vector256.Create(0x7f800000u);
        var bits = Vector256.ConditionalSelect(special, infNan, scaled.AsUInt32());
        return (bits | sign).AsSingle();
    }

    public static float BF16(ushort* x, ushort* y, int n) =>
        Vector256.IsHardwareAccelerated && n >= 16 ? BF16Vector(x, y, n) : BF16Scalar(x, y, n);

    public static float BF16Scalar(ushort* x, ushort* y, int n)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var i = 0;
        for (; i + 4 <= n; i += 4)
        {
            s0 += FloatFormats.BFloat16ToFloat(x[i]) * FloatFormats.BFloat16ToFloat(y[i]);
            s1 += FloatFormats.BFloat16ToFloat(x[i + 1]) * FloatFormats.BFloat16ToFloat(y[i + 1]);
            s2 += FloatFormats.BFloat16ToFloat(x[i + 2]) * FloatFormats.BFloat16ToFloat(y[i + 2]);
            s3 += FloatFormats.BFloat16ToFloat(x[i + 3]) * FloatFormats.BFloat16ToFloat(y[i + 3]);
        }
        for (; i < n; i++) s0 += FloatFormats.BFloat16ToFloat(x[i]) * FloatFormats.BFloat16ToFloat(y[i]);
        return (s0 + s2) + (s1 + s3);
    }

    private static float BF16Vector(ushort* x, ushort* y, int n)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var xv = Vector256.Load(x + i);
            var yv = Vector256.Load(y + i);
            a0 = Fma(Widen(Vector256.GetLower(xv)), Widen(Vector256.GetLower(yv)), a0);
            a1 = Fma(Widen(Vector256.GetUpper(xv)), Widen(Vector256.GetUpper(yv)), a1);
        }
        var sum = Vector256.Sum(a0 + a1);
        for (; i < n; i++) sum += FloatFormats.BFloat16ToFloat(x[i]) * FloatFormats.BFloat16ToFloat(y[i]);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector128<ushort> v) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector256.Create(v, v)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.FusedMultiplyAdd(a, b, c);
}
