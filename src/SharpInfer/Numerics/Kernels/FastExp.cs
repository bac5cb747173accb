using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// ggml-cpu's vector <c>ggml_v_expf</c> (its AVX2 form, "adapted from arm limited optimized routine": max error
/// 1.45 ulp + 0.5 ulp, overflow to +∞ above ~88.38, flush to 0 below ~−103.97), the exp that llama.cpp's x86
/// builds use for softmax and SiLU. One definition in three widths: <see cref="Scalar"/> performs exactly the
/// per-lane operations of <see cref="V256"/> and <see cref="V512"/> (same FMAs, same integer tricks), so all
/// three return identical bits. ggml's AVX-512 build uses a VSCALEFPS variant of the last step instead, which
/// can differ in the last bit; we use the AVX2 form everywhere so results do not depend on the ISA.
/// </summary>
internal static class FastExp
{
    private const float R = 12582912f;                 // 0x1.8p23
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);
    private static readonly float Log2e = F(0x3fb8aa3b), Ln2Hi = F(0x3f317200), Ln2Lo = F(0x35bfbe8e);
    private static readonly float C5 = F(0x3c072010), C4 = F(0x3d2b9f17), C3 = F(0x3e2aaf33), C2 = F(0x3efffedb), C1 = F(0x3f7ffff6);

    public static float Scalar(float x)
    {
        float z = MathF.FusedMultiplyAdd(x, Log2e, R);
        float n = z - R;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        uint e = BitConverter.SingleToUInt32Bits(z) << 23;
        float k = BitConverter.UInt32BitsToSingle(e + 0x3f800000u);
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)), u, C1 * b);
        float an = MathF.Abs(n);
        if (!(an > 126)) return MathF.FusedMultiplyAdd(j, k, k);
        uint g = n <= 0 ? 0x82000000u : 0u;
        float s1 = BitConverter.UInt32BitsToSingle(g + 0x7f000000u);
        float s2 = BitConverter.UInt32BitsToSingle(e - g);
        if (an > 192) return s1 * s1;
        return MathF.FusedMultiplyAdd(s2, j, s2) * s1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> V256(Vector256<float> x)
    {
        var r = Vector256.Create(R);
        var z = Fma.MultiplyAdd(x, Vector256.Create(Log2e), r);
        var n = z - r;
        var b = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Lo), Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Hi), x));
        var e = z.AsUInt32() << 23;
        var k = (e + Vector256.Create(0x3f800000u)).AsSingle();
        var an = Vector256.Abs(n);
        var c = Vector256.GreaterThan(an, Vector256.Create(126f));
        var u = b * b;
        var j = Fma.MultiplyAdd(
            Fma.MultiplyAdd(Fma.MultiplyAdd(Vector256.Create(C5), b, Vector256.Create(C4)), u,
                            Fma.MultiplyAdd(Vector256.Create(C3), b, Vector256.Create(C2))),
            u, Vector256.Create(C1) * b);
        if (Vector256.ExtractMostSignificantBits(c) == 0) return Fma.MultiplyAdd(j, k, k);
        var g = Vector256.LessThanOrEqual(n, Vector256<float>.Zero).AsUInt32() & Vector256.Create(0x82000000u);
        var s1 = (g + Vector256.Create(0x7f000000u)).AsSingle();
        var s2 = (e - g).AsSingle();
        var d = Vector256.GreaterThan(an, Vector256.Create(192f));
        return Vector256.ConditionalSelect(d, s1 * s1,
               Vector256.ConditionalSelect(c, Fma.MultiplyAdd(s2, j, s2) * s1, Fma.MultiplyAdd(k, j, k)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> V512(Vector512<float> x)
    {
        var r = Vector512.Create(R);
        var z = Avx512F.FusedMultiplyAdd(x, Vector512.Create(Log2e), r);
        var n = z - r;
        var b = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Lo), Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Hi), x));
        var e = z.AsUInt32() << 23;
        var k = (e + Vector512.Create(0x3f800000u)).AsSingle();
        var an = Vector512.Abs(n);
        var c = Vector512.GreaterThan(an, Vector512.Create(126f));
        var u = b * b;
        var j = Avx512F.FusedMultiplyAdd(
            Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Vector512.Create(C5), b, Vector512.Create(C4)), u,
                                     Avx512F.FusedMultiplyAdd(Vector512.Create(C3), b, Vector512.Create(C2))),
            u, Vector512.Create(C1) * b);
        if (Vector512.ExtractMostSignificantBits(c) == 0) return Avx512F.FusedMultiplyAdd(j, k, k);
        var g = Vector512.LessThanOrEqual(n, Vector512<float>.Zero).AsUInt32() & Vector512.Create(0x82000000u);
        var s1 = (g + Vector512.Create(0x7f000000u)).AsSingle();
        var s2 = (e - g).AsSingle();
        var d = Vector512.GreaterThan(an, Vector512.Create(192f));
        return Vector512.ConditionalSelect(d, s1 * s1,
               Vector512.ConditionalSelect(c, Avx512F.FusedMultiplyAdd(s2, j, s2) * s1, Avx512F.FusedMultiplyAdd(k, j, k)));
    }
}
