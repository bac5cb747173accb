using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// AVX-512 twins of <see cref="Avx2KQuantDots"/>'s Q2_K and Q3_K dots (ggml's AVX2 code, which llama.cpp's AVX-512
/// builds run) that give its bits: a register holds two 32-value chunks, shifted apart by one VPSRLVW from the same
/// 256-bit quant load; its int16 pair sums × the chunks' sub-block scales (spread by one VPERMW) are int32 lanes whose
/// lower and upper halves are the AVX2 kernel's eight lanes for the two chunks, so their sum over a super-block is the
/// AVX2 kernel's exact integers, and the float step (eight lanes, the same FMAs, hsum_float_8) is its own.
/// Single rows and, for batches, four activation rows per weight row (the weight decoded once).
/// </summary>
internal static unsafe class Avx512LowBitKQuantDots
{
    private const int Q8Bytes = 292, Q8Qs = 4, Q8Bsums = 260, Rows = MultiRowDots.Rows;

    // The constant vectors are made where they are used, from constant arguments: the JIT folds them into data. (Static
    // readonly fields are not folded in AggressiveOptimization methods, which are compiled before the fields exist: a
    // class-initialization check and a load per use, measured 2x slower for Q3_K.)

    /// <summary>Shift counts: <paramref name="first"/> for the lower 256 bits, <paramref name="first"/> + step for the upper.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Shifts(int first, int step)
    {
        // eight 64-bit lanes: one Create of constants, which the JIT folds (two 256-bit halves it inserts at run time)
        ulong low = 0x0001000100010001ul * (ulong)first, high = 0x0001000100010001ul * (ulong)(first + step);
        return Vector512.Create(low, low, low, low, high, high, high, high).AsUInt16();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Twice(Vector256<byte> v) => Simd512.Join(v, v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Shr(Vector512<byte> v, Vector512<ushort> counts) =>
        Avx512BW.ShiftRightLogicalVariable(v.AsUInt16(), counts).AsByte();

    // ---- Q2_K: 16 sub-blocks of 16, 2-bit quants, 4-bit scales and mins ----

    /// <summary>The 16 sub-block scales (low nibbles of scales[]) as int16 lanes 0–15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Q2_KScales(byte* x) =>
        Avx2.ConvertToVector256Int16(Vector128.Load(x) & Vector128.Create((byte)0x0F)).ToVector512Unsafe();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Q2_KMinValues(byte* x) =>
        Avx2.ConvertToVector256Int16(Vector128.ShiftRightLogical(Vector128.Load(x).AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F));

    /// <summary>ggml's min term: eight lanes of mins[2k]·bsums[2k] + mins[2k + 1]·bsums[2k + 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q2_KMins(Vector256<short> mins, byte* y) =>
        Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(mins, Vector256.Load((short*)(y + Q8Bsums))));

    /// <summary>
    /// A Q2_K super-block's four registers of 2-bit quants (chunks 2r, 2r + 1: qs half r / 2 shifted by 4·(r mod 2)
    /// and 2 more) and their scales.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q2_KDecode(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
        out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3)
    {
        var m3 = Vector512.Create((byte)3);
        var half0 = Twice(Vector256.Load(x + 16));
        var half1 = Twice(Vector256.Load(x + 48));
        q0 = Shr(half0, Shifts(0, 2)) & m3;
        q1 = Shr(half0, Shifts(4, 2)) & m3;
        q2 = Shr(half1, Shifts(0, 2)) & m3;
        q3 = Shr(half1, Shifts(4, 2)) & m3;
        SpreadScales(Q2_KScales(x), out s0, out s1, out s2, out s3);
    }

    /// <summary>A super-block's 16 sub-block scales (int16 lanes 0–15) spread to registers 0–3: register r holds chunks 2r, 2r + 1, scales 4r to 4r + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpreadScales(Vector512<short> scales, out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3)
    {
        s0 = Simd512.SpreadScales(scales, 0);
        s1 = Simd512.SpreadScales(scales, 4);
        s2 = Simd512.SpreadScales(scales, 8);
        s3 = Simd512.SpreadScales(scales, 12);
    }

    /// <summary>One register's int32 lanes: the pair sums of q·y × the chunks' scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Terms(Vector512<byte> q, byte* q8, Vector512<short> scales) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, Vector512.Load((sbyte*)q8)), scales);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q2_K(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int i = 0; i < n / 256; i++, x += 84, y += Q8Bytes)
        {
            float yd = *(float*)y;
            float dall = yd * Half(x + 80), dmin = -yd * Half(x + 82);
            acc = Fma.MultiplyAdd(Vector256.Create(dmin), Q2_KMins(Q2_KMinValues(x), y), acc);
            Q2_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
            byte* q8 = y + Q8Qs;
            var sumi = (Terms(q0, q8, s0) + Terms(q1, q8 + 64, s1)) + (Terms(q2, q8 + 128, s2) + Terms(q3, q8 + 192, s3));
            acc = Fma.MultiplyAdd(Vector256.Create(dall), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc);
        }
        return HSum(acc);
    }

    /// <summary><see cref="Q2_K"/> for <see cref="Rows"/> activation rows (y + j·ys → s[j·ss]), each row's arithmetic Q2_K's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q2_KRows(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector256<float>.Zero;
        for (int i = 0; i < n / 256; i++, x += 84, y += Q8Bytes)
        {
            float hd = Half(x + 80), hmin = Half(x + 82);
            var mins = Q2_KMinValues(x);
            Q2_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                float yd = *(float*)yj;
                var a = Fma.MultiplyAdd(Vector256.Create(-yd * hmin), Q2_KMins(mins, yj), acc[j]);
                byte* q8 = yj + Q8Qs;
                var sumi = (Terms(q0, q8, s0) + Terms(q1, q8 + 64, s1)) + (Terms(q2, q8 + 128, s2) + Terms(q3, q8 + 192, s3));
                acc[j] = Fma.MultiplyAdd(Vector256.Create(yd * hd), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), a);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]);
    }

    /// <summary>
    /// Generation: groups of four consecutive weight rows (stride <paramref name="xs"/>) × one activation row, each output
    /// <see cref="Q2_K"/>'s bits; the activation's chunks and bsums are loaded once for the four rows, and the rows ahead
    /// are prefetched as <see cref="KQuantColumns.PrefetchAhead"/> does (four row streams alone confuse the hardware).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q2_KColumn(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        long distance = GenerationPrefetch.Distance((long)n / 256 * 84, xs);
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            byte* x0 = x, yb = y;
            for (int i = 0; i < n / 256; i++, x0 += 84, yb += Q8Bytes)
            {
                KQuantColumns.PrefetchAhead(x, distance, i, 84);
                float yd = *(float*)yb;
                var bsums = Vector256.Load((short*)(yb + Q8Bsums));
                var y0 = Vector512.Load((sbyte*)(yb + Q8Qs));
                var y1 = Vector512.Load((sbyte*)(yb + Q8Qs + 64));
                var y2 = Vector512.Load((sbyte*)(yb + Q8Qs + 128));
                var y3 = Vector512.Load((sbyte*)(yb + Q8Qs + 192));
                acc0 = Q2_KSuperBlock(x0, yd, bsums, y0, y1, y2, y3, acc0);
                acc1 = Q2_KSuperBlock(x0 + xs, yd, bsums, y0, y1, y2, y3, acc1);
                acc2 = Q2_KSuperBlock(x0 + 2 * xs, yd, bsums, y0, y1, y2, y3, acc2);
                acc3 = Q2_KSuperBlock(x0 + 3 * xs, yd, bsums, y0, y1, y2, y3, acc3);
            }
            s[0] = HSum(acc0); s[1] = HSum(acc1); s[2] = HSum(acc2); s[3] = HSum(acc3);
        }
    }

    /// <summary>One Q2_K super-block of one row into its accumulator: the min term, then the scaled sums (as <see cref="Q2_K"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q2_KSuperBlock(byte* x, float yd, Vector256<short> bsums, Vector512<sbyte> y0, Vector512<sbyte> y1,
        Vector512<sbyte> y2, Vector512<sbyte> y3, Vector256<float> acc)
    {
        float dall = yd * Half(x + 80), dmin = -yd * Half(x + 82);
        acc = Fma.MultiplyAdd(Vector256.Create(dmin), Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Q2_KMinValues(x), bsums)), acc);
        Q2_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
        var sumi = (Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, y0), s0) + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, y1), s1))
                 + (Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, y2), s2) + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, y3), s3));
        return Fma.MultiplyAdd(Vector256.Create(dall), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc);
    }

    // ---- Q3_K: 16 sub-blocks of 16, 2 low bits + a high bit (set: +0, clear: −4), 6-bit scales − 32 ----

    /// <summary>The 16 six-bit scales − 32 as int16 lanes 0–15 (ggml's 32-bit unpacking, as the AVX2 kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Q3_KScales(byte* x)
    {
        const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        uint a0 = *(uint*)(x + 96), a1 = *(uint*)(x + 100), a2 = *(uint*)(x + 104);
        var packed = Vector128.Create(
            (a0 & kmask2) | ((a2 & kmask1) << 4),
            (a1 & kmask2) | (((a2 >> 2) & kmask1) << 4),
            ((a0 >> 4) & kmask2) | (((a2 >> 4) & kmask1) << 4),
            ((a1 >> 4) & kmask2) | (((a2 >> 6) & kmask1) << 4));
        return (Avx2.ConvertToVector256Int16(packed.AsByte()) - Vector256.Create((short)32)).ToVector512Unsafe();
    }

    /// <summary>
    /// A Q3_K super-block's four registers as unsigned low2 + 4·bit (0…7; chunks 2r, 2r + 1: low bits as Q2_K's, high
    /// bits hmask bits 2r and 2r + 1) and their scales.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q3_KDecode(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
        out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3)
    {
        var m3 = Vector512.Create((byte)3);
        var one = Vector512.Create((byte)1);
        var half0 = Twice(Vector256.Load(x + 32));
        var half1 = Twice(Vector256.Load(x + 64));
        var hmask = Twice(Vector256.Load(x));
        // the high bit to bit 2 (shifted left by two in 16-bit lanes after masking, so nothing crosses a byte)
        q0 = (Shr(half0, Shifts(0, 2)) & m3) | Vector512.ShiftLeft((Shr(hmask, Shifts(0, 1)) & one).AsUInt16(), 2).AsByte();
        q1 = (Shr(half0, Shifts(4, 2)) & m3) | Vector512.ShiftLeft((Shr(hmask, Shifts(2, 1)) & one).AsUInt16(), 2).AsByte();
        q2 = (Shr(half1, Shifts(0, 2)) & m3) | Vector512.ShiftLeft((Shr(hmask, Shifts(4, 1)) & one).AsUInt16(), 2).AsByte();
        q3 = (Shr(half1, Shifts(4, 2)) & m3) | Vector512.ShiftLeft((Shr(hmask, Shifts(6, 1)) & one).AsUInt16(), 2).AsByte();
        SpreadScales(Q3_KScales(x), out s0, out s1, out s2, out s3);

    }

    /// <summary>One Q3_K register's int32 lanes: (q − 4)·y as the AVX2 kernel's two pair sums, × the chunks' scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Q3_KTerms(Vector512<byte> q, byte* q8, Vector512<short> scales)
    {
        var y = Vector512.Load((sbyte*)q8);
        var pairs = Avx512BW.MultiplyAddAdjacent(q, y) - Avx512BW.MultiplyAddAdjacent(Vector512.Create((byte)4), y);
        return Avx512BW.MultiplyAddAdjacent(pairs, scales);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q3_K(byte* x, byte* y, int n)
    {
        var acc = Vector256<float>.Zero;
        for (int i = 0; i < n / 256; i++, x += 110, y += Q8Bytes)
        {
            Q3_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
            byte* q8 = y + Q8Qs;
            var sumi = (Q3_KTerms(q0, q8, s0) + Q3_KTerms(q1, q8 + 64, s1)) + (Q3_KTerms(q2, q8 + 128, s2) + Q3_KTerms(q3, q8 + 192, s3));
            float d = Half(x + 108) * *(float*)y;
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc);
        }
        return HSum(acc);
    }

    /// <summary>
    /// Generation: groups of four consecutive weight rows (stride <paramref name="xs"/>) × one activation row, each output
    /// <see cref="Q3_K"/>'s bits; the activation's chunks and their 4·y pair sums are formed once for the four rows, and
    /// the rows ahead are prefetched as <see cref="KQuantColumns.PrefetchAhead"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q3_KColumn(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        long distance = GenerationPrefetch.Distance((long)n / 256 * 110, xs);
        var four = Vector512.Create((byte)4);
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            byte* x0 = x, yb = y;
            for (int i = 0; i < n / 256; i++, x0 += 110, yb += Q8Bytes)
            {
                KQuantColumns.PrefetchAhead(x, distance, i, 110);
                float yd = *(float*)yb;
                var y0 = Vector512.Load((sbyte*)(yb + Q8Qs));
                var y1 = Vector512.Load((sbyte*)(yb + Q8Qs + 64));
                var y2 = Vector512.Load((sbyte*)(yb + Q8Qs + 128));
                var y3 = Vector512.Load((sbyte*)(yb + Q8Qs + 192));
                var f0 = Avx512BW.MultiplyAddAdjacent(four, y0);
                var f1 = Avx512BW.MultiplyAddAdjacent(four, y1);
                var f2 = Avx512BW.MultiplyAddAdjacent(four, y2);
                var f3 = Avx512BW.MultiplyAddAdjacent(four, y3);
                acc0 = Q3_KSuperBlock(x0, yd, y0, y1, y2, y3, f0, f1, f2, f3, acc0);
                acc1 = Q3_KSuperBlock(x0 + xs, yd, y0, y1, y2, y3, f0, f1, f2, f3, acc1);
                acc2 = Q3_KSuperBlock(x0 + 2 * xs, yd, y0, y1, y2, y3, f0, f1, f2, f3, acc2);
                acc3 = Q3_KSuperBlock(x0 + 3 * xs, yd, y0, y1, y2, y3, f0, f1, f2, f3, acc3);
            }
            s[0] = HSum(acc0); s[1] = HSum(acc1); s[2] = HSum(acc2); s[3] = HSum(acc3);
        }
    }

    /// <summary>One Q3_K super-block of one row into its accumulator, the 4·y pair sums given (as <see cref="Q3_K"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q3_KSuperBlock(byte* x, float yd, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3,
        Vector512<short> f0, Vector512<short> f1, Vector512<short> f2, Vector512<short> f3, Vector256<float> acc)
    {
        Q3_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
        var sumi = (Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, y0) - f0, s0) + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, y1) - f1, s1))
                 + (Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, y2) - f2, s2) + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, y3) - f3, s3));
        return Fma.MultiplyAdd(Vector256.Create(Half(x + 108) * yd), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc);
    }

    /// <summary><see cref="Q3_K"/> for <see cref="Rows"/> activation rows (y + j·ys → s[j·ss]), each row's arithmetic Q3_K's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q3_KRows(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector256<float>.Zero;
        for (int i = 0; i < n / 256; i++, x += 110, y += Q8Bytes)
        {
            Q3_KDecode(x, out var q0, out var q1, out var q2, out var q3, out var s0, out var s1, out var s2, out var s3);
            float hd = Half(x + 108);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                byte* q8 = yj + Q8Qs;
                var sumi = (Q3_KTerms(q0, q8, s0) + Q3_KTerms(q1, q8 + 64, s1)) + (Q3_KTerms(q2, q8 + 128, s2) + Q3_KTerms(q3, q8 + 192, s3));
                acc[j] = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)yj), Avx.ConvertToVector256Single(sumi.GetLower() + sumi.GetUpper()), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]);
    }
}
