using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Models.Compute;

/// <summary>
/// ggml's vector exp (ggml_v_expf, "adapted from arm limited optimized routine", max error about
/// 1.5 ulp), which ggml's CPU backend uses for softmax and SiLU instead of the C library's expf.
/// Reproduced lane by lane because its last-bit differences from expf decide how probabilities
/// round to F16 in the KV-cache path. The AVX-512 and the AVX2 variants round differently;
/// <see cref="UseAvx512Variant"/> picks the one the reference build used.
/// </summary>
internal static class GgmlExp
{
    public static bool UseAvx512Variant = true;

    /// <summary>Floats per vector in the variant's SIMD width; ggml's loops fall back to expf for the rest of a row.</summary>
    public static int LaneWidth => UseAvx512Variant ? 16 : 8;

    private const float R = 12582912f; // 0x1.8p23: adding it rounds x·log2(e) to an integer in the low mantissa bits
    private static readonly float Log2E = BitConverter.Int32BitsToSingle(0x3FB8AA3B); // 0x1.715476p+0
    private static readonly float Ln2Hi = BitConverter.Int32BitsToSingle(0x3F317200); // 0x1.62e4p-1
    private static readonly float Ln2Lo = BitConverter.Int32BitsToSingle(0x35BFBE8E); // 0x1.7f7d1cp-20
    private static readonly float C1 = BitConverter.Int32BitsToSingle(0x3F7FFFF6); // 0x1.ffffecp-1
    private static readonly float C2 = BitConverter.Int32BitsToSingle(0x3EFFFEDB); // 0x1.fffdb6p-2
    private static readonly float C3 = BitConverter.Int32BitsToSingle(0x3E2AAF33); // 0x1.555e66p-3
    private static readonly float C4 = BitConverter.Int32BitsToSingle(0x3D2B9F17); // 0x1.573e2ep-5
    private static readonly float C5 = BitConverter.Int32BitsToSingle(0x3C072010); // 0x1.0e4020p-7

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => UseAvx512Variant ? ExpAvx512(x) : ExpAvx2(x);

    /// <summary>ggml_v_silu: x / (1 + exp(-x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x / (1.0f + Exp(0.0f - x));

    public static float ExpAvx512(float x)
    {
        var z = MathF.FusedMultiplyAdd(x, Log2E, R);
        var n = z - R;
        var b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        var u = b * b;
        var j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u,
            MathF.FusedMultiplyAdd(C1, b, 1.0f));
        if (MathF.Abs(n) > 192) return n <= 0 ? 0.0f : float.PositiveInfinity;
        if (float.IsNaN(n)) return float.NaN;
        return MathF.ScaleB(j, (int)n);
    }

    public static float ExpAvx2(float x)
    {
        var z = MathF.FusedMultiplyAdd(x, Log2E, R);
        var n = z - R;
        var b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        var e = (uint)BitConverter.SingleToInt32Bits(z) << 23;
        var k = BitConverter.Int32BitsToSingle((int)(e + 0x3f800000u));
        var u = b * b;
        var j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u,
            C1 * b);
        if (!(MathF.Abs(n) > 126)) return MathF.FusedMultiplyAdd(j, k, k);
        var g = n <= 0 ? 0x82000000u : 0u;
        var s1 = BitConverter.Int32BitsToSingle((int)(g + 0x7f000000u));
        var s2 = BitConverter.Int32BitsToSingle((int)(e - g));
        if (MathF.Abs(n) > 192) return s1 * s1;
        return MathF.FusedMultiplyAdd(s2, j, s2) * s1;
    }

    /// <summary>
    /// Exp of every value of <paramref name="v"/> in place, minus <paramref name="shift"/> first (softmax's max), as the
    /// variant's lanes compute it: whole vectors on AVX-512 (ggml_v_expf's _mm512 form) or AVX2 (its _mm256 form) where
    /// the CPU has them, <see cref="Exp"/> value by value otherwise; the same bits either way. <paramref name="v"/>'s
    /// length is a multiple of <see cref="LaneWidth"/> (the callers handle the rest with expf, as ggml does).
    /// </summary>
    public static unsafe void ExpInPlace(float* v, int count, float shift) => ExpInPlace(v, count, shift, UseAvx512Variant);

    /// <inheritdoc cref="ExpInPlace(float*, int, float)"/>
    internal static unsafe void ExpInPlace(float* v, int count, float shift, bool avx512Variant)
    {
        int i = 0;
        if (avx512Variant && Avx512F.IsSupported)
            for (; i + 16 <= count; i += 16) ExpAvx512(Vector512.Load(v + i) - Vector512.Create(shift)).Store(v + i);
        else if (!avx512Variant && Avx2.IsSupported && Fma.IsSupported)
            for (; i + 8 <= count; i += 8) ExpAvx2(Vector256.Load(v + i) - Vector256.Create(shift)).Store(v + i);
        for (; i < count; i++) v[i] = avx512Variant ? ExpAvx512(v[i] - shift) : ExpAvx2(v[i] - shift);
    }

    /// <summary>silu(gate)·up over <paramref name="count"/> values (a multiple of <see cref="LaneWidth"/>), vector by vector where the CPU has the variant's width.</summary>
    public static unsafe void SwiGlu(float* gate, float* up, float* y, int count) => SwiGlu(gate, up, y, count, UseAvx512Variant);

    /// <inheritdoc cref="SwiGlu(float*, float*, float*, int)"/>
    internal static unsafe void SwiGlu(float* gate, float* up, float* y, int count, bool avx512Variant)
    {
        int i = 0;
        if (avx512Variant && Avx512F.IsSupported)
            for (; i + 16 <= count; i += 16)
            {
                var g = Vector512.Load(gate + i);
                (g / (Vector512.Create(1.0f) + ExpAvx512(Vector512<float>.Zero - g)) * Vector512.Load(up + i)).Store(y + i);
            }
        else if (!avx512Variant && Avx2.IsSupported && Fma.IsSupported)
            for (; i + 8 <= count; i += 8)
            {
                var g = Vector256.Load(gate + i);
                (g / (Vector256.Create(1.0f) + ExpAvx2(Vector256<float>.Zero - g)) * Vector256.Load(up + i)).Store(y + i);
            }
        for (; i < count; i++)
        {
            var g = gate[i];
            y[i] = g / (1.0f + (avx512Variant ? ExpAvx512(0.0f - g) : ExpAvx2(0.0f - g))) * up[i];
        }
    }

    /// <summary>ggml_v_expf, AVX-512 form: 16 lanes of <see cref="ExpAvx512(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpAvx512(Vector512<float> x)
    {
        var r = Vector512.Create(R);
        var z = Avx512F.FusedMultiplyAdd(x, Vector512.Create(Log2E), r);
        var n = z - r;
        var b = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Lo), Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Hi), x));
        var u = b * b;
        var j = Avx512F.FusedMultiplyAdd(
            Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Vector512.Create(C5), b, Vector512.Create(C4)), u,
                Avx512F.FusedMultiplyAdd(Vector512.Create(C3), b, Vector512.Create(C2))),
            u,
            Avx512F.FusedMultiplyAdd(Vector512.Create(C1), b, Vector512.Create(1.0f)));
        var res = Avx512F.Scale(j, n);
        var d = Vector512.GreaterThan(Vector512.Abs(n), Vector512.Create(192f));
        if (d == Vector512<float>.Zero) return res;
        var alt = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(n, Vector512<float>.Zero), Vector512<float>.Zero,
            Vector512.Create(float.PositiveInfinity));
        return Vector512.ConditionalSelect(d, alt, res);
    }

    /// <summary>ggml_v_expf, AVX2 form: 8 lanes of <see cref="ExpAvx2(float)"/> (the same operations as <see cref="Numerics.Kernels.FastExp.V256"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpAvx2(Vector256<float> x) => Numerics.Kernels.FastExp.V256(x);
}
