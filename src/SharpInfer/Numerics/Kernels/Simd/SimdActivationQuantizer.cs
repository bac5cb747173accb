using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// Vector twins of <see cref="ActivationQuantizer"/> and the Q8_K reference quantizer, bit-exact with them:
/// the max is order-independent, every product is the same single float multiply, and VCVTPS2DQ rounds half to
/// even like the scalar <c>MathF.Round(…, ToEven)</c> / <c>nearest_int</c> (all values are far inside int range);
/// the int8 saturation of the packs equals the scalar clamp.
/// </summary>
internal static unsafe class SimdActivationQuantizer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Avx2(float* x, byte* dst, int n, bool withSums)
    {
        int blockBytes = withSums ? 36 : 34, qOff = withSums ? 4 : 2;
        for (int i = 0; i < n / 32; i++, x += 32, dst += blockBytes)
        {
            var v0 = Vector256.Load(x); var v1 = Vector256.Load(x + 8); var v2 = Vector256.Load(x + 16); var v3 = Vector256.Load(x + 24);
            var m = Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var m4 = Sse.Max(m.GetLower(), m.GetUpper());
            m4 = Sse.Max(m4, Sse.MoveHighToLow(m4, m4));
            m4 = Sse.MaxScalar(m4, Sse3.MoveHighAndDuplicate(m4));
            float amax = m4.ToScalar();
            float d = amax / 127f;
            *(ushort*)dst = Fp16.FromFloat(d);
            var id = Vector256.Create(amax != 0.0f ? 127f / amax : 0.0f);
            var lo = Vector256.Create(-128); var hi = Vector256.Create(127);
            var i0 = Avx2.Min(Avx2.Max(Avx.ConvertToVector256Int32(v0 * id), lo), hi);
            var i1 = Avx2.Min(Avx2.Max(Avx.ConvertToVector256Int32(v1 * id), lo), hi);
            var i2 = Avx2.Min(Avx2.Max(Avx.ConvertToVector256Int32(v2 * id), lo), hi);
            var i3 = Avx2.Min(Avx2.Max(Avx.ConvertToVector256Int32(v3 * id), lo), hi);
            if (withSums) *(ushort*)(dst + 2) = Fp16.FromFloat(d * Vector256.Sum((i0 + i1) + (i2 + i3)));
            var p = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
            Avx2.PermuteVar8x32(p.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsByte().Store(dst + qOff);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Avx512(float* x, byte* dst, int n, bool withSums)
    {
        int blockBytes = withSums ? 36 : 34, qOff = withSums ? 4 : 2;
        for (int i = 0; i < n / 32; i++, x += 32, dst += blockBytes)
        {
            var v0 = Vector512.Load(x); var v1 = Vector512.Load(x + 16);
            var m = Avx512F.Max(Vector512.Abs(v0), Vector512.Abs(v1));
            float amax = HMax(Vector256.Max(m.GetLower(), m.GetUpper()));
            float d = amax / 127f;
            *(ushort*)dst = Fp16.FromFloat(d);
            var id = Vector512.Create(amax != 0.0f ? 127f / amax : 0.0f);
            var i0 = Avx512F.ConvertToVector512Int32(v0 * id);
            var i1 = Avx512F.ConvertToVector512Int32(v1 * id);
            if (withSums)
            {
                var lo = Vector512.Create(-128); var hi = Vector512.Create(127);
                var s = Vector512.Min(Vector512.Max(i0, lo), hi) + Vector512.Min(Vector512.Max(i1, lo), hi);
                *(ushort*)(dst + 2) = Fp16.FromFloat(d * Vector512.Sum(s));
            }
            Avx512F.ConvertToVector128SByteWithSaturation(i0).Store((sbyte*)(dst + qOff));
            Avx512F.ConvertToVector128SByteWithSaturation(i1).Store((sbyte*)(dst + qOff + 16));
        }
    }

    /// <summary><c>quantize_row_q8_K_ref</c>: the element of largest magnitude (first one on ties) maps to −127.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_KAvx2(float* x, byte* dst, int n)
    {
        for (int i = 0; i < n / 256; i++, x += 256, dst += 292)
        {
            var m = Vector256<float>.Zero;
            for (int j = 0; j < 256; j += 8) m = Avx.Max(m, Vector256.Abs(Vector256.Load(x + j)));
            float amax = HMax(m);
            if (amax == 0)
            {
                new Span<byte>(dst, 292).Clear();
                continue;
            }
            int first = 0;
            while (MathF.Abs(x[first]) != amax) first++;
            float iscale = -127f / x[first];
            var vs = Vector256.Create(iscale);
            var hi = Vector256.Create(127);
            short* bsums = (short*)(dst + 260);
            for (int g = 0; g < 16; g++)
            {
                float* xg = x + 16 * g;
                var a = Avx2.Min(Avx.ConvertToVector256Int32(Vector256.Load(xg) * vs), hi);
                var b = Avx2.Min(Avx.ConvertToVector256Int32(Vector256.Load(xg + 8) * vs), hi);
                bsums[g] = (short)Vector256.Sum(a + b);
                var p = Avx2.PackSignedSaturate(a, b);                 // [a0-3 b0-3 | a4-7 b4-7]
                var p8 = Avx2.PackSignedSaturate(p, p);                // bytes: [a0-3 b0-3 a0-3 b0-3 | a4-7 b4-7 ...]
                var ordered = Avx2.PermuteVar8x32(p8.AsInt32(), Vector256.Create(0, 4, 1, 5, 0, 4, 1, 5));
                ordered.GetLower().AsByte().Store(dst + 4 + 16 * g);
            }
            *(float*)dst = 1 / iscale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_KAvx512(float* x, byte* dst, int n)
    {
        for (int i = 0; i < n / 256; i++, x += 256, dst += 292)
        {
            var m = Vector512<float>.Zero;
            for (int j = 0; j < 256; j += 16) m = Avx512F.Max(m, Vector512.Abs(Vector512.Load(x + j)));
            float amax = HMax(Vector256.Max(m.GetLower(), m.GetUpper()));
            if (amax == 0)
            {
                new Span<byte>(dst, 292).Clear();
                continue;
            }
            int first = 0;
            while (MathF.Abs(x[first]) != amax) first++;
            float iscale = -127f / x[first];
            var vs = Vector512.Create(iscale);
            var hi = Vector512.Create(127);
            short* bsums = (short*)(dst + 260);
            for (int g = 0; g < 16; g++)
            {
                var q = Vector512.Min(Avx512F.ConvertToVector512Int32(Vector512.Load(x + 16 * g) * vs), hi);
                bsums[g] = (short)Vector512.Sum(q);
                Avx512F.ConvertToVector128SByteWithSaturation(q).Store((sbyte*)(dst + 4 + 16 * g));
            }
            *(float*)dst = 1 / iscale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HMax(Vector256<float> m)
    {
        var m4 = Sse.Max(m.GetLower(), m.GetUpper());
        m4 = Sse.Max(m4, Sse.MoveHighToLow(m4, m4));
        m4 = Sse.MaxScalar(m4, Sse3.MoveHighAndDuplicate(m4));
        return m4.ToScalar();
    }
}
