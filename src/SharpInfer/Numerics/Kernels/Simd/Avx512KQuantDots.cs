using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX-512 twins of the Q6_K and IQ4_XS dots (Q4_K/Q5_K run the AVX2 kernel at both levels: a 512-bit version measured
/// no faster). Q6_K: 64 quants per register, the same int16 pair sums × sub-block scale → int32 lanes as
/// <see cref="Avx2KQuantDots"/>, with per-lane scales spread by one VPERMW per register; the super-block's int32 lanes
/// are exact, only the float summation order differs from the scalar code. IQ4_XS: see there.
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
                    var sc = Simd512.SpreadScales(scales, 8 * h + 4 * p); // lane l of register (h, pair p): scale 8h + 4p + l/8
                    sumi += Avx512BW.MultiplyAddAdjacent(pairs, sc);
                }
            }
            float d = Half(x + 208) * *(float*)y;
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(d), Avx512F.ConvertToVector512Single(sumi), acc);
        }
        return Simd512.HSum(acc);
    }

    /// <summary>
    /// IQ4_XS two sub-blocks per register: the values looked up with VPSHUFB (the table in every 128-bit lane), |q|·(y
    /// signed as q) pair sums, × each sub-block's scale into int32 lanes. The lower and upper halves hold the two
    /// sub-blocks' lanes in <see cref="Avx2KQuantDots.IQ4_XS"/>'s arrangement (lane l: bytes 4l…4l + 3), and their sum
    /// over a super-block is the same exact integer per lane, so the eight float lanes, the FMA per super-block and the
    /// final sum are the AVX2 kernel's (ggml's) to the bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float IQ4_XS(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        var table = IQ4ValuesTable();
        for (int ibl = 0; ibl < n / 256; ibl++, x += 136, y += Q8Bytes)
        {
            var scales = IQ4_XSScales(x);
            var sumi = Vector512<int>.Zero;
            for (int h = 0; h < 2; h++)
            {
                var (q0, q1) = IQ4_XSValues(table, x + 8 + 64 * h);
                sumi += IQ4_XSTerms(Vector512.Abs(q0).AsByte(), Vector512.LessThan(q0, Vector512<sbyte>.Zero),
                    Vector512.Load((sbyte*)(y + Q8Qs + 128 * h)), IQ4_XSPairScales(scales, 2 * h));
                sumi += IQ4_XSTerms(Vector512.Abs(q1).AsByte(), Vector512.LessThan(q1, Vector512<sbyte>.Zero),
                    Vector512.Load((sbyte*)(y + Q8Qs + 128 * h + 64)), IQ4_XSPairScales(scales, 2 * h + 1));
            }
            float d = Half(x) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc);
        }
        return HSum(acc);
    }

    /// <summary>kvalues_iq4nl in every 128-bit lane, for VPSHUFB.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<sbyte> IQ4ValuesTable()
    {
        var t = Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        return Vector512.Create(Vector256.Create(t, t), Vector256.Create(t, t));
    }

    /// <summary>
    /// A super-block's eight scales ls − 32 as int16 lanes 0–7 (byte j = low nibble j of scales_l | bits 2j, 2j + 1 of
    /// scales_h at bits 4, 5, by PDEP).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> IQ4_XSScales(byte* x)
    {
        ulong ls = Bmi2.X64.ParallelBitDeposit(*(uint*)(x + 4), 0x0F0F0F0F0F0F0F0Ful)
                 | Bmi2.X64.ParallelBitDeposit(*(ushort*)(x + 2), 0x3030303030303030ul);
        return (Sse41.ConvertToVector128Int16(Vector128.CreateScalar(ls).AsByte()) - Vector128.Create((short)32))
            .ToVector256Unsafe().ToVector512Unsafe();
    }

    /// <summary>
    /// The values of four sub-blocks (64 index bytes): sub-blocks 0, 1 and 2, 3 as two registers in the activations'
    /// element order [low nibbles of a, high of a, low of b, high of b] (16 bytes each).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector512<sbyte> First, Vector512<sbyte> Second) IQ4_XSValues(Vector512<sbyte> table, byte* qs)
    {
        var v = Vector512.Load(qs);
        var m4 = Vector512.Create((byte)0x0F);
        var low = (v & m4).AsUInt64();
        var high = (Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & m4).AsUInt64();
        var first = Avx512F.PermuteVar8x64x2(low, Vector512.Create(0ul, 1, 8, 9, 2, 3, 10, 11), high);
        var second = Avx512F.PermuteVar8x64x2(low, Vector512.Create(4ul, 5, 12, 13, 6, 7, 14, 15), high);
        return (Avx512BW.Shuffle(table, first.AsSByte()), Avx512BW.Shuffle(table, second.AsSByte()));
    }

    /// <summary>The scales of register <paramref name="pair"/>: sub-block 2·pair's in its lower int16 lanes, 2·pair + 1's in the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> IQ4_XSPairScales(Vector512<short> scales, int pair)
    {
        var lane = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        return Avx512BW.PermuteVar32x16(scales, lane + Vector512.Create((short)(2 * pair)));
    }

    /// <summary>
    /// Two sub-blocks' int32 lanes: |q|·(y signed as q) pair sums (|q|, |y| ≤ 127: within int16, as the AVX2 kernel's)
    /// × their scales (<see cref="IQ4_XSPairScales"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> IQ4_XSTerms(Vector512<byte> magnitude, Vector512<sbyte> negative, Vector512<sbyte> y, Vector512<short> pairScales) =>
        Avx512BW.MultiplyAddAdjacent(Simd512.PairsU8I8(magnitude, Vector512.ConditionalSelect(negative, Vector512<sbyte>.Zero - y, y)), pairScales);
}
