using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX-512 twins of <see cref="LegacyDots"/>: two 32-value blocks per 512-bit register (lanes 0–7 block a,
/// 8–15 block b), the same exact int32 lane sums as <see cref="Avx2LegacyDots"/>, FMA'd into 16 float lanes; an odd
/// last block goes through a 256-bit step. Signed 4/5-bit weights use the offset form Σ(u−c)·y = Σu·y − Σc·y
/// (per int16 pair, exact) because AVX-512 has no VPSIGNB.
/// </summary>
internal static unsafe class Avx512LegacyDots
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_0(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        var acc = Vector512<float>.Zero;
        var eight = Vector512.Create((byte)8);
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 36, y += 68)
        {
            var u = Simd512.Nibbles(x + 2, x + 20);
            var ys = Simd512.Load2((sbyte*)(y + 2), (sbyte*)(y + 36));
            var p = Simd512.WidenPairs(Simd512.PairsU8I8(u, ys) - Simd512.PairsU8I8(eight, ys));
            acc = Avx512F.FusedMultiplyAdd(Simd512.Halves(Half(x) * Half(y), Half(x + 18) * Half(y + 34)), Avx512F.ConvertToVector512Single(p), acc);
        }
        return Finish(acc, ib < nb ? Avx2LegacyDotsTail.Q4_0(x, y) : Vector256<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_1(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        var acc = Vector512<float>.Zero;
        float summs = 0;
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 40, y += 72)
        {
            summs += Half(x + 2) * Half(y + 2);
            summs += Half(x + 22) * Half(y + 38);
            var p = Simd512.DotU8I8(Simd512.Nibbles(x + 4, x + 24), Simd512.Load2((sbyte*)(y + 4), (sbyte*)(y + 40)));
            acc = Avx512F.FusedMultiplyAdd(Simd512.Halves(Half(x) * Half(y), Half(x + 20) * Half(y + 36)), Avx512F.ConvertToVector512Single(p), acc);
        }
        var tail = Vector256<float>.Zero;
        if (ib < nb)
        {
            summs += Half(x + 2) * Half(y + 2);
            tail = Avx2LegacyDotsTail.Q4_1(x, y);
        }
        return Finish(acc, tail) + summs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_0(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        var acc = Vector512<float>.Zero;
        var sixteen = Vector512.Create((byte)16);
        var bit = Vector512.Create((byte)0x10);
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 44, y += 68)
        {
            var hi = Vector512.Create(BytesFromBits(*(uint*)(x + 2)), BytesFromBits(*(uint*)(x + 24))) & bit;
            var u = Simd512.Nibbles(x + 6, x + 28) | hi;
            var ys = Simd512.Load2((sbyte*)(y + 2), (sbyte*)(y + 36));
            var p = Simd512.WidenPairs(Simd512.PairsU8I8(u, ys) - Simd512.PairsU8I8(sixteen, ys));
            acc = Avx512F.FusedMultiplyAdd(Simd512.Halves(Half(x) * Half(y), Half(x + 22) * Half(y + 34)), Avx512F.ConvertToVector512Single(p), acc);
        }
        return Finish(acc, ib < nb ? Avx2LegacyDotsTail.Q5_0(x, y) : Vector256<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_1(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        var acc = Vector512<float>.Zero;
        var bit = Vector512.Create((byte)0x10);
        float summs = 0;
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 48, y += 72)
        {
            summs += Half(x + 2) * Half(y + 2);
            summs += Half(x + 26) * Half(y + 38);
            var hi = Vector512.Create(BytesFromBits(*(uint*)(x + 4)), BytesFromBits(*(uint*)(x + 28))) & bit;
            var p = Simd512.DotU8I8(Simd512.Nibbles(x + 8, x + 32) | hi, Simd512.Load2((sbyte*)(y + 4), (sbyte*)(y + 40)));
            acc = Avx512F.FusedMultiplyAdd(Simd512.Halves(Half(x) * Half(y), Half(x + 24) * Half(y + 36)), Avx512F.ConvertToVector512Single(p), acc);
        }
        var tail = Vector256<float>.Zero;
        if (ib < nb)
        {
            summs += Half(x + 2) * Half(y + 2);
            tail = Avx2LegacyDotsTail.Q5_1(x, y);
        }
        return Finish(acc, tail) + summs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0(byte* x, byte* y, int n)
    {
        // Sign-extend to int16 and VPMADDWD: exact for every int8 pair, one block per register.
        var acc = Vector512<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 34, y += 34)
        {
            var xs = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(x + 2)));
            var ys = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(y + 2)));
            var p = Avx512BW.MultiplyAddAdjacent(xs, ys);
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(Half(x) * Half(y)), Avx512F.ConvertToVector512Single(p), acc);
        }
        return Simd512.HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float IQ4_NL(byte* x, byte* y, int n)
    {
        int nb = n / 32;
        var t = Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        var table = Vector512.Create(Vector256.Create(t, t), Vector256.Create(t, t));
        var acc = Vector512<float>.Zero;
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 36, y += 68)
        {
            var q = Avx512BW.Shuffle(table, Simd512.Nibbles(x + 2, x + 20).AsSByte());
            var p = Simd512.DotI8(q, Simd512.Load2((sbyte*)(y + 2), (sbyte*)(y + 36)));
            acc = Avx512F.FusedMultiplyAdd(Simd512.Halves(Half(x) * Half(y), Half(x + 18) * Half(y + 34)), Avx512F.ConvertToVector512Single(p), acc);
        }
        return Finish(acc, ib < nb ? Avx2LegacyDotsTail.IQ4_NL(x, y) : Vector256<float>.Zero);
    }

    private static float Finish(Vector512<float> acc, Vector256<float> tail) => HSum(acc.GetUpper() + acc.GetLower() + tail);
}

/// <summary>One block of each <see cref="Avx2LegacyDots"/> kernel as 8 float lanes (the AVX-512 kernels' odd last block).</summary>
internal static unsafe class Avx2LegacyDotsTail
{
    public static Vector256<float> Q4_0(byte* x, byte* y) => Lanes(Avx2LegacyDots.Q4_0Lanes(x, y), x, y);
    public static Vector256<float> Q4_1(byte* x, byte* y) => Lanes(Avx2LegacyDots.Q4_1Lanes(x, y), x, y);
    public static Vector256<float> Q5_0(byte* x, byte* y) => Lanes(Avx2LegacyDots.Q5_0Lanes(x, y), x, y);
    public static Vector256<float> Q5_1(byte* x, byte* y) => Lanes(Avx2LegacyDots.Q5_1Lanes(x, y), x, y);
    public static Vector256<float> IQ4_NL(byte* x, byte* y) => Lanes(Avx2LegacyDots.IQ4_NLLanes(x, y), x, y);

    private static Vector256<float> Lanes(Vector256<int> p, byte* x, byte* y) =>
        Vector256.Create(Half(x) * Half(y)) * Avx.ConvertToVector256Single(p);
}
