using System.Runtime.CompilerServices;

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
}
