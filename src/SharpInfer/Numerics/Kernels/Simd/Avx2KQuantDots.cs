using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX2 twins of <see cref="KQuantDots"/> after ggml-cpu's x86 K-quant dots: VPMADDUBSW forms int16 pair sums of
/// (unsigned quant)·(Q8_K value), VPMADDWD multiplies them by the sub-block scale into int32 lanes, a super-block's
/// lanes are summed in int32 (exact) and FMA'd with d into 8 float lanes; the min/offset terms use Q8_K's bsums.
/// Signed quants are handled in offset form, Σ(u−c)·y = Σu·y − c·Σy, per int16 pair (exact). Only the order of
/// float additions differs from the scalar code.
/// </summary>
internal static unsafe class Avx2KQuantDots
{
    private const int Q8Bytes = 292, Q8Qs = 4, Q8Bsums = 260;

    /// <summary>int32 lanes of scale·(pair sums of u·y); <paramref name="lo"/> scales bytes 0–15, <paramref name="hi"/> bytes 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Scaled(Vector256<short> pairs, int lo, int hi) =>
        Avx2.MultiplyAddAdjacent(pairs, Vector256.Create(Vector128.Create((short)lo), Vector128.Create((short)hi)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Pairs(Vector256<byte> u, sbyte* y) => Avx2.MultiplyAddAdjacent(u, Vector256.Load(y));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Shr(Vector256<byte> v, int bits) => Vector256.ShiftRightLogical(v.AsUInt16(), bits).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q2_K(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        var m3 = Vector256.Create((byte)3);
        for (int i = 0; i < n / 256; i++, x += 84, y += Q8Bytes)
        {
            byte* sc = x;
            float yd = *(float*)y;
            float dall = yd * Half(x + 80), dmin = -yd * Half(x + 82);
            // ggml's order: the min term goes into the same 8 lanes first (lane k = mins[2k]·bsums[2k] + mins[2k+1]·bsums[2k+1])
            var mins = Vector128.ShiftRightLogical(Vector128.Load(sc).AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);
            var prod = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(mins), Vector256.Load((short*)(y + Q8Bsums)));
            acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(prod), acc);
            var sumi = Vector256<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int k = 0; k < 2; k++)
            {
                var bits = Vector256.Load(x + 16 + 32 * k);
                for (int j = 0; j < 4; j++, q8 += 32)
                {
                    int s = 8 * k + 2 * j;
                    sumi += Scaled(Pairs(Shr(bits, 2 * j) & m3, q8), sc[s] & 0xF, sc[s + 1] & 0xF);
                }
            }
            acc = Fma.MultiplyAdd(Vector256.Create(dall), Avx.ConvertToVector256Single(sumi), acc);
        }
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q3_K(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        var m3 = Vector256.Create((byte)3);
        var one = Vector256.Create((byte)1);
        var four = Vector256.Create((byte)4);
        byte* scales = stackalloc byte[16];
        for (int i = 0; i < n / 256; i++, x += 110, y += Q8Bytes)
        {
            // ggml's 32-bit unpacking of the 16 six-bit scales (as Q3_KFormat.UnpackScales; bias 32 removed at use)
            const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
            uint a0 = *(uint*)(x + 96), a1 = *(uint*)(x + 100), a2 = *(uint*)(x + 104);
            uint* packed = (uint*)scales;
            packed[0] = (a0 & kmask2) | ((a2 & kmask1) << 4);
            packed[1] = (a1 & kmask2) | (((a2 >> 2) & kmask1) << 4);
            packed[2] = ((a0 >> 4) & kmask2) | (((a2 >> 4) & kmask1) << 4);
            packed[3] = ((a1 >> 4) & kmask2) | (((a2 >> 6) & kmask1) << 4);
            var hmask = Vector256.Load(x);
            var sumi = Vector256<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int h = 0; h < 2; h++)
            {
                var bits = Vector256.Load(x + 32 + 32 * h);
                for (int k = 0; k < 4; k++, q8 += 32)
                {
                    // a = low2 − 4·(hmask bit clear) = (low2 + 4·bit) − 4
                    var hb = Vector256.ShiftLeft((Shr(hmask, 4 * h + k) & one).AsUInt16(), 2).AsByte();
                    var u = (Shr(bits, 2 * k) & m3) | hb;
                    var pairs = Pairs(u, q8) - Pairs(four, q8);
                    int s = 8 * h + 2 * k;
                    sumi += Scaled(pairs, scales[s] - 32, scales[s + 1] - 32);
                }
            }
            float d = Half(x + 108) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K(byte* x, byte* y, int n)
    {
        return Q45_K<Q4_KKind>(x, y, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q5_K(byte* x, byte* y, int n)
    {
        return Q45_K<Q5_KKind>(x, y, n);
    }

    // A type parameter, not a bool: the JIT does not inline this, so only a per-kind instantiation folds the branches.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q45_K<TKind>(byte* x, byte* y, int n) where TKind : struct, IKQuantKind
    {
        bool highBits = TKind.HighBits;
        byte* sm = stackalloc byte[16];
        int blockBytes = highBits ? 176 : 144, offQs = highBits ? 48 : 16;
        var acc = Vector256<float>.Zero;
        var accM = Vector128<float>.Zero;
        float summs = 0;
        var m4 = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        for (int i = 0; i < n / 256; i++, x += blockBytes, y += Q8Bytes)
        {
            UnpackScalesMinsK4(x + 4, sm);
            float yd = *(float*)y;
            float d = yd * Half(x), dmin = -yd * Half(x + 2);
            if (highBits) summs += dmin * MinSum(y + Q8Bsums, sm + 8);
            else accM = Fma.MultiplyAdd(Vector128.Create(dmin), Sse2.ConvertToVector128Single(MinLanes(y + Q8Bsums, sm + 8)), accM);

            var qh = highBits ? Vector256.Load(x + 16) : default;
            var sumi = Vector256<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int c = 0; c < 4; c++, q8 += 64)
            {
                var bits = Vector256.Load(x + offQs + 32 * c);
                var lo = bits & m4;
                var hi = Shr(bits, 4) & m4;
                if (highBits)
                {
                    lo |= Vector256.ShiftLeft((Shr(qh, 2 * c) & one).AsUInt16(), 4).AsByte();
                    hi |= Vector256.ShiftLeft((Shr(qh, 2 * c + 1) & one).AsUInt16(), 4).AsByte();
                }
                sumi += Scaled(Pairs(lo, q8), sm[2 * c], sm[2 * c]);
                sumi += Scaled(Pairs(hi, q8 + 32), sm[2 * c + 1], sm[2 * c + 1]);
            }
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return HSum(acc) + (highBits ? summs : HSum4(accM));
    }

    /// <summary>The 4 int32 lanes ggml's Q4_K forms for the min term: lane k = m[2k]·q[2k] + m[2k+1]·q[2k+1], q[j] = bsums[2j] + bsums[2j+1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> MinLanes(byte* bsums, byte* mins)
    {
        var q8s = Ssse3.HorizontalAdd(Vector128.Load((short*)bsums), Vector128.Load((short*)bsums + 8));
        var m = Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(*(ulong*)mins).AsByte());
        return Sse2.MultiplyAddAdjacent(m, q8s);
    }

    /// <summary>ggml's reduction of acc_m: (0+2, 1+3), then their sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HSum4(Vector128<float> v)
    {
        v += Sse.MoveHighToLow(v, v);
        return Sse.AddScalar(v, Sse3.MoveHighAndDuplicate(v)).ToScalar();
    }

    /// <summary>Σⱼ (bsums[2j] + bsums[2j+1])·mins[j]: the Q4_K/Q5_K min term of one super-block, in int32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int MinSum(byte* bsums, byte* mins)
    {
        var m = Vector128.CreateScalarUnsafe(*(ulong*)mins).AsByte();
        var pairs = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(m, m)); // m0 m0 m1 m1 … m7 m7
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(Vector256.Load((short*)bsums), pairs));
    }

    /// <summary>The 6-bit scales (→ <paramref name="dst"/>[0..8]) and mins (→ [8..16]) of Q4_K/Q5_K, ggml's utmp shuffle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UnpackScalesMinsK4(byte* sc, byte* dst)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        uint u0 = *(uint*)sc, u1 = *(uint*)(sc + 4), u2 = *(uint*)(sc + 8);
        uint o3 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4);
        uint o2 = u1 & kmask1;
        uint o1 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4);
        uint o0 = u0 & kmask1;
        // Two 8-byte stores, not four 4-byte ones: the kernels read the mins back as one 8-byte load, and a load that
        // spans two stores cannot be forwarded from them (a stall per super-block and row, ~10% of Q4_K generation).
        *(ulong*)dst = o0 | ((ulong)o1 << 32);
        *(ulong*)(dst + 8) = o2 | ((ulong)o3 << 32);
    }

    /// <summary>
    /// <see cref="UnpackScalesMinsK4"/> of two super-blocks at once in vector registers: dwords [o0 o1 o2 o3] of
    /// <paramref name="scA"/> in the low 128 bits, of <paramref name="scB"/> in the high (the bytes UnpackScalesMinsK4
    /// stores: 8 scales, then 8 mins). Reads 16 bytes at each pointer (the 12 scale bytes and 4 quant bytes after them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> UnpackScalesMinsK4Pair(byte* scA, byte* scB)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        var u = Vector256.Create(Vector128.Load((uint*)scA), Vector128.Load((uint*)scB)); // u0 u1 u2 (u3 unused)
        var low = Avx2.Shuffle(u, 0b10_01_10_00);   // u0 u2 u1 u2: o0 = u0 & k1, o1 = u2 & k2 | …, o2 = u1 & k1, o3 = (u2 >> 4) & k2 | …
        var high = Avx2.Shuffle(u, 0b01_01_00_00);  // u0 u0 u1 u1: the top two bits of the o0/o2 bytes, moved into o1/o3
        low = Avx2.ShiftRightLogicalVariable(low, Vector256.Create(0u, 0, 0, 4, 0, 0, 0, 4))
            & Vector256.Create(kmask1, kmask2, kmask1, kmask2, kmask1, kmask2, kmask1, kmask2);
        high = Vector256.ShiftLeft(Vector256.ShiftRightLogical(high, 6) & Vector256.Create(0, kmask3, 0, kmask3, 0, kmask3, 0, kmask3), 4);
        return low | high;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)3);
        var m32 = Vector256.Create((byte)32);
        for (int i = 0; i < n / 256; i++, x += 210, y += Q8Bytes)
        {
            sbyte* sc = (sbyte*)(x + 192);
            var sumi = Vector256<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int h = 0; h < 2; h++)
            {
                var ql0 = Vector256.Load(x + 64 * h);
                var ql1 = Vector256.Load(x + 64 * h + 32);
                var qh = Vector256.Load(x + 128 + 32 * h);
                for (int k = 0; k < 4; k++, q8 += 32)
                {
                    var low = (k & 1) == 0 ? ql0 : ql1;
                    if (k >= 2) low = Shr(low, 4);
                    var high = Vector256.ShiftLeft((Shr(qh, 2 * k) & m3).AsUInt16(), 4).AsByte();
                    var u = (low & m4) | high;
                    var pairs = Pairs(u, q8) - Pairs(m32, q8);
                    int s = 8 * h + 2 * k;
                    sumi += Scaled(pairs, sc[s], sc[s + 1]);
                }
            }
            float d = Half(x + 208) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return HSum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float IQ4_XS(byte* x, byte* y, int n)
    {
        var table = Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
        var acc = Vector256<float>.Zero;
        for (int ibl = 0; ibl < n / 256; ibl++, x += 136, y += Q8Bytes)
        {
            int h = x[2] | (x[3] << 8);
            var sumi = Vector256<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8Qs);
            for (int ib = 0; ib < 8; ib++, q8 += 32)
            {
                int ls = ((x[4 + ib / 2] >> (4 * (ib & 1))) & 0xf) | (((h >> (2 * ib)) & 3) << 4);
                var idx = Nibbles(x + 8 + 16 * ib).AsSByte();
                var q = Vector256.Create(Ssse3.Shuffle(table, idx.GetLower()), Ssse3.Shuffle(table, idx.GetUpper()));
                // |q| · (y with q's sign): |q| ≤ 127, so pair sums stay within int16.
                var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(q), Avx2.Sign(Vector256.Load(q8), q));
                sumi += Scaled(pairs, ls - 32, ls - 32);
            }
            float d = Half(x) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return HSum(acc);
    }
}
