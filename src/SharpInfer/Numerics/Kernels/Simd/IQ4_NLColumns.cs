using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// IQ4_NL generation on AVX-512: groups of four consecutive weight rows × one activation row, each output the bits of
/// <see cref="Avx2LegacyDots.IQ4_NL"/> (ggml's AVX2 shape: block pairs into two 8-lane accumulators, an odd last block
/// in scalar code). A register holds a block pair — its lower half the even block's int32 lanes, its upper half the odd
/// block's — and one 16-lane accumulator per row is those two accumulators side by side (the same FMA per lane); the
/// activation's block pair and its two scales are loaded once for the four rows, the rows ahead prefetched.
/// </summary>
internal static unsafe class IQ4_NLColumns
{
    private const int Rows = 4, BlockBytes = 18;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Column(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        int nb = n / 32;
        long distance = GenerationPrefetch.Distance((long)nb * BlockBytes, xs);
        var table = Avx512KQuantDots.IQ4ValuesTable();
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector512<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            int ib = 0;
            byte* x0 = x, yb = y;
            for (; ib + 1 < nb; ib += 2, x0 += 2 * BlockBytes, yb += 68)
            {
                PrefetchAhead(x, distance, ib);
                var ys = Simd512.Load2((sbyte*)(yb + 2), (sbyte*)(yb + 36));
                float dy0 = Half(yb), dy1 = Half(yb + 34);
                acc0 = Pair(x0, table, ys, dy0, dy1, acc0);
                acc1 = Pair(x0 + xs, table, ys, dy0, dy1, acc1);
                acc2 = Pair(x0 + 2 * xs, table, ys, dy0, dy1, acc2);
                acc3 = Pair(x0 + 3 * xs, table, ys, dy0, dy1, acc3);
            }
            s[0] = Finish(acc0, ib < nb, x0, yb);
            s[1] = Finish(acc1, ib < nb, x0 + xs, yb);
            s[2] = Finish(acc2, ib < nb, x0 + 2 * xs, yb);
            s[3] = Finish(acc3, ib < nb, x0 + 3 * xs, yb);
        }
    }

    /// <summary>One row's block pair: |q|·(y signed as q) summed to the AVX2 kernel's int32 lanes, FMA'd by d_y·d_x per half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(byte* x, Vector512<sbyte> table, Vector512<sbyte> ys, float dy0, float dy1, Vector512<float> acc)
    {
        var q = Avx512BW.Shuffle(table, Simd512.Nibbles(x + 2, x + 20).AsSByte());
        var p = Simd512.DotI8(q, ys);
        var d = Simd512.Halves(dy0 * Half(x), dy1 * Half(x + BlockBytes)); // d_y·d_x as the AVX2 kernel forms them
        return Avx512F.FusedMultiplyAdd(d, Avx512F.ConvertToVector512Single(p), acc);
    }

    /// <summary>hsum_float_8 of the two accumulators' sum, then ggml's scalar step for an odd last block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector512<float> acc, bool oddBlock, byte* x, byte* y)
    {
        float sumf = HSum(acc.GetLower() + acc.GetUpper());
        if (oddBlock) sumf += Avx2LegacyDots.IQ4_NLTail(x, y);
        return sumf;
    }

    /// <summary>The share of block pair <paramref name="ib"/> in the four rows <paramref name="distance"/> bytes ahead (one contiguous region).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(byte* x, long distance, int ib)
    {
        byte* next = x + distance + (long)ib * Rows * BlockBytes;
        Sse.Prefetch1(next);
        Sse.Prefetch1(next + 64);
        Sse.Prefetch1(next + 128);
    }
}
