using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// One weight row against <see cref="Rows"/> activation rows at once, for <see cref="MatMul"/> with several tokens:
/// the weight block is loaded and unpacked once and reused for every activation row. Each row's arithmetic is
/// exactly that of the single-row kernel of the same level (same lanes, same FMAs in the same order), so the
/// outputs are bit-identical to <see cref="DotKernels"/> — the matmul result does not depend on the grouping.
/// Signature: (weightRow, firstActivationRow, activationStride, n, output, outputStride).
/// </summary>
internal static unsafe class MultiRowDots
{
    public const int Rows = 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Avx512(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector512<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector512<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 34, y += 34)
        {
            var xs = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(x + 2)));
            float dx = Half(x);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                var p = Avx512BW.MultiplyAddAdjacent(xs, Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(yj + 2))));
                acc[j] = Avx512F.FusedMultiplyAdd(Vector512.Create(dx * Half(yj)), Avx512F.ConvertToVector512Single(p), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = Simd512.HSum(acc[j]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q8_0Avx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector256<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 34, y += 34)
        {
            var q = Vector256.Load((sbyte*)(x + 2));
            var aq = Avx2.Abs(q);
            float dx = Half(x);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                var p = DotU8I8(aq, Avx2.Sign(Vector256.Load((sbyte*)(yj + 2)), q));
                acc[j] = Fma.MultiplyAdd(Vector256.Create(dx * Half(yj)), Avx.ConvertToVector256Single(p), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_0Avx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector256<float>.Zero;
        for (int ib = 0; ib < n / 32; ib++, x += 18, y += 34)
        {
            var q = Nibbles(x + 2).AsSByte() - Vector256.Create((sbyte)8);
            var aq = Avx2.Abs(q);
            float dx = Half(x);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                var p = DotU8I8(aq, Avx2.Sign(Vector256.Load((sbyte*)(yj + 2)), q));
                acc[j] = Fma.MultiplyAdd(Vector256.Create(dx * Half(yj)), Avx.ConvertToVector256Single(p), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_0Avx512(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        int nb = n / 32;
        var acc = stackalloc Vector512<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector512<float>.Zero;
        var eight = Vector512.Create((byte)8);
        int ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 36, y += 68)
        {
            var u = Simd512.Nibbles(x + 2, x + 20);
            float dxa = Half(x), dxb = Half(x + 18);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                var yv = Simd512.Load2((sbyte*)(yj + 2), (sbyte*)(yj + 36));
                var p = Simd512.WidenPairs(Simd512.PairsU8I8(u, yv) - Simd512.PairsU8I8(eight, yv));
                acc[j] = Avx512F.FusedMultiplyAdd(Simd512.Halves(dxa * Half(yj), dxb * Half(yj + 34)), Avx512F.ConvertToVector512Single(p), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++)
        {
            var tail = ib < nb ? Avx2LegacyDotsTail.Q4_0(x, y + j * ys) : Vector256<float>.Zero;
            s[j * ss] = HSum(acc[j].GetUpper() + acc[j].GetLower() + tail);
        }
    }

    /// <summary>Rows of <see cref="Avx2KQuantDots.Q4_K"/> (the Q4_K kernel of both vector levels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_KAvx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        var sumi = stackalloc Vector256<int>[Rows];
        var accM = stackalloc Vector128<float>[Rows];
        for (int j = 0; j < Rows; j++) { acc[j] = Vector256<float>.Zero; accM[j] = Vector128<float>.Zero; }
        var m4 = Vector256.Create((byte)0x0F);
        byte* sm = stackalloc byte[16];
        for (int i = 0; i < n / 256; i++, x += 144, y += 292)
        {
            Avx2KQuantDots.UnpackScalesMinsK4(x + 4, sm);
            float hd = Half(x), hmin = Half(x + 2);
            for (int j = 0; j < Rows; j++) sumi[j] = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                var bits = Vector256.Load(x + 16 + 32 * c);
                var lo = bits & m4;
                var hi = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                var scLo = Vector256.Create((short)sm[2 * c]);
                var scHi = Vector256.Create((short)sm[2 * c + 1]);
                for (int j = 0; j < Rows; j++)
                {
                    sbyte* q8 = (sbyte*)(y + j * ys + 4 + 64 * c);
                    sumi[j] += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Vector256.Load(q8)), scLo);
                    sumi[j] += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Vector256.Load(q8 + 32)), scHi);
                }
            }
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                float yd = *(float*)yj;
                accM[j] = Fma.MultiplyAdd(Vector128.Create(-yd * hmin), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(yj + 260, sm + 8)), accM[j]);
                acc[j] = Fma.MultiplyAdd(Vector256.Create(yd * hd), Avx.ConvertToVector256Single(sumi[j]), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]) + Avx2KQuantDots.HSum4(accM[j]);
    }

    /// <summary>Rows of <see cref="Avx512KQuantDots.Q6_K"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KAvx512(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector512<float>[Rows];
        var sumi = stackalloc Vector512<int>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector512<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)3);
        var m32 = Vector512.Create((byte)32);
        var lane = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        for (int i = 0; i < n / 256; i++, x += 210, y += 292)
        {
            var scales = Vector512.Create(Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(x + 192))), Vector256<short>.Zero);
            for (int j = 0; j < Rows; j++) sumi[j] = Vector512<int>.Zero;
            int q8 = 4;
            for (int h = 0; h < 2; h++)
            {
                var ql0 = Vector256.Load(x + 64 * h);
                var ql1 = Vector256.Load(x + 64 * h + 32);
                var qh = Vector256.Load(x + 128 + 32 * h);
                for (int p = 0; p < 2; p++, q8 += 64)
                {
                    var lo0 = p == 0 ? ql0 : Vector256.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte();
                    var lo1 = p == 0 ? ql1 : Vector256.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte();
                    var hi0 = Vector256.ShiftRightLogical(qh.AsUInt16(), 4 * p).AsByte() & m3;
                    var hi1 = Vector256.ShiftRightLogical(qh.AsUInt16(), 4 * p + 2).AsByte() & m3;
                    var u0 = (lo0 & m4) | Vector256.ShiftLeft(hi0.AsUInt16(), 4).AsByte();
                    var u1 = (lo1 & m4) | Vector256.ShiftLeft(hi1.AsUInt16(), 4).AsByte();
                    var u = Vector512.Create(u0, u1);
                    var sc = Avx512BW.PermuteVar32x16(scales, lane + Vector512.Create((short)(8 * h + 4 * p)));
                    for (int j = 0; j < Rows; j++)
                    {
                        var yv = Vector512.Load((sbyte*)(y + j * ys + q8));
                        var pairs = Avx512BW.MultiplyAddAdjacent(u, yv) - Avx512BW.MultiplyAddAdjacent(m32, yv);
                        sumi[j] += Avx512BW.MultiplyAddAdjacent(pairs, sc);
                    }
                }
            }
            float hd = Half(x + 208);
            for (int j = 0; j < Rows; j++)
                acc[j] = Avx512F.FusedMultiplyAdd(Vector512.Create(hd * *(float*)(y + j * ys)), Avx512F.ConvertToVector512Single(sumi[j]), acc[j]);
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = Simd512.HSum(acc[j]);
    }
}
