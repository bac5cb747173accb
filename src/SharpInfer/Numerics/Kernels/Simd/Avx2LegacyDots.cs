using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX2 twins of <see cref="LegacyDots"/>, structured as ggml-cpu's x86 <c>ggml_vec_dot_*_q8_*</c>: each block's
/// integer sums land in 8 int32 lanes (exact), are converted to float and FMA'd with the block scale into 8 float
/// lanes, summed by <see cref="Simd256.HSum"/> at the end. Only the order of float additions differs from the
/// scalar code (which adds one block total at a time).
/// </summary>
internal static unsafe class Avx2LegacyDots
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_0(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 18, y += 34)
            acc = Fma.MultiplyAdd(Vector256.Create(Half(x) * Half(y)), Avx.ConvertToVector256Single(Q4_0Lanes(x, y)), acc);
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_1(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        float summs = 0;
        for (int ib = 0; ib < n / 32; ib++, x += 20, y += 36)
        {
            summs += Half(x + 2) * Half(y + 2);
            acc = Fma.MultiplyAdd(Vector256.Create(Half(x) * Half(y)), Avx.ConvertToVector256Single(Q4_1Lanes(x, y)), acc);
        }
        return HSum(acc) + summs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_0(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 22, y += 34)
            acc = Fma.MultiplyAdd(Vector256.Create(Half(x) * Half(y)), Avx.ConvertToVector256Single(Q5_0Lanes(x, y)), acc);
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_1(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        float summs = 0;
        for (int ib = 0; ib < n / 32; ib++, x += 24, y += 36)
        {
            summs += Half(x + 2) * Half(y + 2);
            acc = Fma.MultiplyAdd(Vector256.Create(Half(x) * Half(y)), Avx.ConvertToVector256Single(Q5_1Lanes(x, y)), acc);
        }
        return HSum(acc) + summs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 34, y += 34)
        {
            // The weight takes the |x| side: it may hold −128, the activation quantizer never produces it.
            var p = DotI8(Vector256.Load((sbyte*)(x + 2)), Vector256.Load((sbyte*)(y + 2)));
            acc = Fma.MultiplyAdd(Vector256.Create(Half(x) * Half(y)), Avx.ConvertToVector256Single(p), acc);
        }
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float IQ4_NL(byte* x, byte* y, int n)
    {
        // ggml's shape: pairs of blocks into two accumulators, an odd last block in scalar code.
        int nb = n / 32, ib = 0;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        for (; ib + 1 < nb; ib += 2, x += 36, y += 68)
        {
            acc1 = Fma.MultiplyAdd(Vector256.Create(Half(y) * Half(x)), Avx.ConvertToVector256Single(IQ4_NLLanes(x, y)), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(Half(y + 34) * Half(x + 18)), Avx.ConvertToVector256Single(IQ4_NLLanes(x + 18, y + 34)), acc2);
        }
        float sumf = HSum(acc1 + acc2);
        if (ib < nb) sumf += IQ4_NLTail(x, y);
        return sumf;
    }

    /// <summary>ggml's scalar code for an odd last IQ4_NL block.</summary>
    public static float IQ4_NLTail(byte* x, byte* y)
    {
        var values = SharpInfer.Numerics.Quants.IQ4_NLFormat.Values;
        int sumi1 = 0, sumi2 = 0;
        for (int j = 0; j < 16; j++)
        {
            sumi1 += (sbyte)y[2 + j] * values[x[2 + j] & 0xf];
            sumi2 += (sbyte)y[2 + j + 16] * values[x[2 + j] >> 4];
        }
        return Half(y) * Half(x) * (sumi1 + sumi2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q4_0Lanes(byte* x, byte* y)
    {
        var q = Nibbles(x + 2).AsSByte() - Vector256.Create((sbyte)8);
        return DotI8(q, Vector256.Load((sbyte*)(y + 2)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q4_1Lanes(byte* x, byte* y) => DotU8I8(Nibbles(x + 4), Vector256.Load((sbyte*)(y + 4)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q5_0Lanes(byte* x, byte* y)
    {
        // (nibble | 0xF0 where the 5th bit is clear) read as int8 is nibble + 16·bit − 16.
        var hi = Avx2.AndNot(BytesFromBits(*(uint*)(x + 2)), Vector256.Create((byte)0xF0));
        return DotI8((Nibbles(x + 6) | hi).AsSByte(), Vector256.Load((sbyte*)(y + 2)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q5_1Lanes(byte* x, byte* y)
    {
        var hi = BytesFromBits(*(uint*)(x + 4)) & Vector256.Create((byte)0x10);
        return DotU8I8(Nibbles(x + 8) | hi, Vector256.Load((sbyte*)(y + 4)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> IQ4_NLLanes(byte* x, byte* y) => DotI8(IQ4_NLValues(x), Vector256.Load((sbyte*)(y + 2)));

    /// <summary>An IQ4_NL block's 32 values kvalues_iq4nl[nibble] in element order (low nibbles, then high).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> IQ4_NLValues(byte* x)
    {
        var table = Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        var idx = Nibbles(x + 2).AsSByte();
        return Vector256.Create(Ssse3.Shuffle(table, idx.GetLower()), Ssse3.Shuffle(table, idx.GetUpper()));
    }
}
