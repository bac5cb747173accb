using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX-512 twin of the Q6_K dot (Q4_K/Q5_K run the AVX2 kernel at both levels: a 512-bit version measured no faster): 64 quants per register, the same int16 pair sums × sub-block scale
/// → int32 lanes as <see cref="Avx2KQuantDots"/>, with per-lane scales spread by one VPERMW per register.
/// The super-block's int32 lanes are exact; only the float summation order differs from the scalar code.
/// </summary>
internal static unsafe class Avx512KQuantDots
{
    private const int Q8Bytes = 292, Q8Qs = 4, Q8Bsums = 260;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(byte* x, byte* y, int n)
    {
        var acc = Vector512<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)3);
        var m32 = Vector512.Create((byte)32);
        // lane l of register (h, pair p) takes scale 8h + 4p + l/8
        var lane = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        for (int i = 0; i < n / 256; i++, x += 210, y += Q8Bytes)
        {
            var scales = Vector512.Create(Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(x + 192))), Vector256<short>.Zero);
            var sumi = Vector512<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int h = 0; h < 2; h++)
            {
                var ql0 = Vector256.Load(x + 64 * h);
                var ql1 = Vector256.Load(x + 64 * h + 32);
                var qh = Vector256.Load(x + 128 + 32 * h);
                for (int p = 0; p < 2; p++, q8 += 64)
                {
                    // elements 32k..32k+63 of this half: k = 2p (ql0) and 2p+1 (ql1), nibble p, qh bits 2k..2k+1
                    var lo0 = p == 0 ? ql0 : Vector256.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte();
                    var lo1 = p == 0 ? ql1 : Vector256.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte();
                    var hi0 = Vector256.ShiftRightLogical(qh.AsUInt16(), 4 * p).AsByte() & m3;
                    var hi1 = Vector256.ShiftRightLogical(qh.AsUInt16(), 4 * p + 2).AsByte() & m3;
                    var u0 = (lo0 & m4) | Vector256.ShiftLeft(hi0.AsUInt16(), 4).AsByte();
                    var u1 = (lo1 & m4) | Vector256.ShiftLeft(hi1.AsUInt16(), 4).AsByte();
                    var u = Vector512.Create(u0, u1);
                    var ys = Vector512.Load(q8);
                    var pairs = Avx512BW.MultiplyAddAdjacent(u, ys) - Avx512BW.MultiplyAddAdjacent(m32, ys);
                    var sc = Avx512BW.PermuteVar32x16(scales, lane + Vector512.Create((short)(8 * h + 4 * p)));
                    sumi += Avx512BW.MultiplyAddAdjacent(pairs, sc);
                }
            }
            float d = Half(x + 208) * *(float*)y;
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(d), Avx512F.ConvertToVector512Single(sumi), acc);
        }
        return Simd512.HSum(acc);
    }
}
