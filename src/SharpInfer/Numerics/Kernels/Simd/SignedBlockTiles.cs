using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>A 32-value weight block whose values unpack to signed bytes, dotted with a Q8_0 activation block.</summary>
internal unsafe interface ISignedBlock
{
    /// <summary>Bytes per weight block (the f16 scale first).</summary>
    static abstract int Bytes { get; }

    /// <summary>The block's 32 values as signed bytes, in element order.</summary>
    static abstract Vector256<sbyte> Quants(byte* block);
}

internal unsafe struct Q8_0Block : ISignedBlock
{
    public static int Bytes => 34;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block) => Vector256.Load((sbyte*)(block + 2));
}

internal unsafe struct Q4_0Block : ISignedBlock
{
    public static int Bytes => 18;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block) => Nibbles(block + 2).AsSByte() - Vector256.Create((sbyte)8);
}

internal unsafe struct Q5_0Block : ISignedBlock
{
    public static int Bytes => 22;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Quants(byte* block)
    {
        var hi = Avx2.AndNot(BytesFromBits(*(uint*)(block + 2)), Vector256.Create((byte)0xF0));
        return (Nibbles(block + 6) | hi).AsSByte();
    }
}

/// <summary>
/// Register-blocked products for prompt processing: <see cref="Rows"/> weight rows × <see cref="Rows"/> activation
/// rows at once, all 16 accumulators in registers, each weight block unpacked once and each activation block loaded
/// once per tile. Every output's arithmetic is that of <see cref="Avx2LegacyDots"/> (ggml's AVX2 vec_dot: sign trick,
/// 8 int32 lanes per block, FMA with d_x·d_y into 8 float lanes, <see cref="Simd256.HSum"/>), so results are
/// bit-identical to the row kernels whatever the tiling.
/// Output element (weight row i, activation row j) goes to <c>s[i + j·ss]</c>.
/// </summary>
internal static unsafe class SignedBlockTiles
{
    public const int Rows = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<byte> ax, Vector256<sbyte> qx, float d, byte* yb, Vector256<float> acc)
    {
        var p = DotU8I8(ax, Avx2.Sign(Vector256.Load((sbyte*)(yb + 2)), qx));
        return Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(p), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<T>(byte* x, nint xs, byte* y, nint ys, int n, float* s, nint ss) where T : ISignedBlock
    {
        var c00 = Vector256<float>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
        var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
        var c20 = c00; var c21 = c00; var c22 = c00; var c23 = c00;
        var c30 = c00; var c31 = c00; var c32 = c00; var c33 = c00;
        byte* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs;
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        int bx = T.Bytes;
        for (int ib = 0; ib < n / 32; ib++, x0 += bx, x1 += bx, x2 += bx, x3 += bx, y0 += 34, y1 += 34, y2 += 34, y3 += 34)
        {
            float e0 = Half(y0), e1 = Half(y1), e2 = Half(y2), e3 = Half(y3);
            var q0 = T.Quants(x0); var a0 = Avx2.Abs(q0); float d0 = Half(x0);
            var q1 = T.Quants(x1); var a1 = Avx2.Abs(q1); float d1 = Half(x1);
            c00 = Step(a0, q0, d0 * e0, y0, c00); c01 = Step(a0, q0, d0 * e1, y1, c01); c02 = Step(a0, q0, d0 * e2, y2, c02); c03 = Step(a0, q0, d0 * e3, y3, c03);
            c10 = Step(a1, q1, d1 * e0, y0, c10); c11 = Step(a1, q1, d1 * e1, y1, c11); c12 = Step(a1, q1, d1 * e2, y2, c12); c13 = Step(a1, q1, d1 * e3, y3, c13);
            var q2 = T.Quants(x2); var a2 = Avx2.Abs(q2); float d2 = Half(x2);
            var q3 = T.Quants(x3); var a3 = Avx2.Abs(q3); float d3 = Half(x3);
            c20 = Step(a2, q2, d2 * e0, y0, c20); c21 = Step(a2, q2, d2 * e1, y1, c21); c22 = Step(a2, q2, d2 * e2, y2, c22); c23 = Step(a2, q2, d2 * e3, y3, c23);
            c30 = Step(a3, q3, d3 * e0, y0, c30); c31 = Step(a3, q3, d3 * e1, y1, c31); c32 = Step(a3, q3, d3 * e2, y2, c32); c33 = Step(a3, q3, d3 * e3, y3, c33);
        }
        s[0] = HSum(c00); s[ss] = HSum(c01); s[2 * ss] = HSum(c02); s[3 * ss] = HSum(c03);
        s[1] = HSum(c10); s[1 + ss] = HSum(c11); s[1 + 2 * ss] = HSum(c12); s[1 + 3 * ss] = HSum(c13);
        s[2] = HSum(c20); s[2 + ss] = HSum(c21); s[2 + 2 * ss] = HSum(c22); s[2 + 3 * ss] = HSum(c23);
        s[3] = HSum(c30); s[3 + ss] = HSum(c31); s[3 + 2 * ss] = HSum(c32); s[3 + 3 * ss] = HSum(c33);
    }

    /// <summary>
    /// <paramref name="groups"/> groups of <see cref="Rows"/> weight rows (x + i·xs) against one activation row
    /// (generation): the same per-row arithmetic, but four independent FMA chains, so the 4-cycle FMA latency of ggml's
    /// one-accumulator order no longer bounds the loop. Outputs go to s[0..4·groups).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Column<T>(byte* x, nint xs, byte* y, int n, float* s, int groups) where T : ISignedBlock
    {
        int bx = T.Bytes;
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var c0 = Vector256<float>.Zero; var c1 = c0; var c2 = c0; var c3 = c0;
            byte* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs, yb = y;
            for (int ib = 0; ib < n / 32; ib++, x0 += bx, x1 += bx, x2 += bx, x3 += bx, yb += 34)
            {
                // Four row streams at once confuse the hardware prefetcher (measured: slower than one row at a time from
                // DRAM, though faster from L2). The next four rows are one contiguous region: stream it in ahead, in order.
                byte* next = x + 4 * xs + (long)ib * 4 * bx;
                for (int l = 0; l < 4 * bx; l += 64) Sse.Prefetch0(next + l);
                float e = Half(yb);
                var q0 = T.Quants(x0); c0 = Step(Avx2.Abs(q0), q0, Half(x0) * e, yb, c0);
                var q1 = T.Quants(x1); c1 = Step(Avx2.Abs(q1), q1, Half(x1) * e, yb, c1);
                var q2 = T.Quants(x2); c2 = Step(Avx2.Abs(q2), q2, Half(x2) * e, yb, c2);
                var q3 = T.Quants(x3); c3 = Step(Avx2.Abs(q3), q3, Half(x3) * e, yb, c3);
            }
            s[0] = HSum(c0); s[1] = HSum(c1); s[2] = HSum(c2); s[3] = HSum(c3);
        }
    }
}
