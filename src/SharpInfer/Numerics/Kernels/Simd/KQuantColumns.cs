using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpInfer.Numerics.Kernels.Simd256;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// K-quant kernels for several rows at once: 4 weight rows against one Q8_K activation row (generation), or one
/// weight row against 4 activation rows (prompt processing). The integer part of a super-block
/// runs on 512-bit registers (two 32-value groups per instruction, shared operands loaded once); its int32 lanes are then folded to 8 lanes by adding the halves, which is exact, so every row's lanes equal
/// those of ggml's AVX2 kernel (<see cref="Avx2KQuantDots"/>) and the float part (conversion, FMA with d, hsum) is
/// that kernel's: the outputs are bit-identical to the row kernels.
/// </summary>
internal static unsafe class KQuantColumns
{
    public const int Rows = 4;

    /// <summary>
    /// Four row streams at once confuse the hardware prefetcher (slower than one row at a time from DRAM); the rows
    /// ahead are one contiguous region, so super-block step <paramref name="i"/> prefetches its share of the region
    /// <paramref name="distance"/> bytes ahead (<see cref="GenerationPrefetch.Distance"/>: about 12 KB, whole 4-row groups),
    /// in order, into L2 (prefetcht1 measured at least as fast as into L1, and it leaves L1 to the current rows). One
    /// Zen 4 core, llama-1b Q6_K tg (alternated runs): 17.5–17.7 t/s against 14.5–14.7 for the next 4 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchAhead(byte* x, long distance, int i, int blockBytes)
    {
        byte* next = x + distance + (long)i * 4 * blockBytes;
        for (int l = 0; l < 4 * blockBytes; l += 64) Sse.Prefetch1(next + l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Load2(byte* a, byte* b) => Vector512.Create(Vector256.Load((sbyte*)a), Vector256.Load((sbyte*)b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold(Vector512<int> v) => v.GetLower() + v.GetUpper();

    /// <summary>Scale vector for two 32-value groups: int16 lanes 0–15 = <paramref name="a"/>, 16–31 = <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Scales2(byte a, byte b) => Vector512.Create(Vector256.Create((short)a), Vector256.Create((short)b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4_KSums(byte* x, byte* sm, Vector512<sbyte> yLo01, Vector512<sbyte> yHi01, Vector512<sbyte> yLo23, Vector512<sbyte> yHi23)
    {
        var m4 = Vector512.Create((byte)0x0F);
        var b01 = Vector512.Load(x + 16);
        var b23 = Vector512.Load(x + 80);
        return Sums4(b01 & m4, Vector512.ShiftRightLogical(b01.AsUInt16(), 4).AsByte() & m4,
                     b23 & m4, Vector512.ShiftRightLogical(b23.AsUInt16(), 4).AsByte() & m4, sm, yLo01, yHi01, yLo23, yHi23);
    }

    /// <summary>
    /// Scaled pair sums of the four 64-value pairs of groups of a Q4_K/Q5_K super-block, folded to 8 lanes. The 8
    /// sub-block scales become int16 in every 128-bit lane and each scale vector is one VPERMW (Q4_K generation 28 -> 34
    /// GMAC/s against broadcasting the scale bytes one by one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sums4(Vector512<byte> lo01, Vector512<byte> hi01, Vector512<byte> lo23, Vector512<byte> hi23, byte* sm,
                                        Vector512<sbyte> yLo01, Vector512<sbyte> yHi01, Vector512<sbyte> yLo23, Vector512<sbyte> yHi23)
    {
        var sc = Vector512.Create(Vector256.Create(Sse41.ConvertToVector128Int16(Vector128.CreateScalarUnsafe(*(ulong*)sm).AsByte())));
        var one = Vector512.Create((short)1);
        var i01 = Vector512.Create(Vector256.Create((short)0), Vector256.Create((short)2));
        var i23 = Vector512.Create(Vector256.Create((short)4), Vector256.Create((short)6));
        var s = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(lo01, yLo01), Avx512BW.PermuteVar32x16(sc, i01));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(hi01, yHi01), Avx512BW.PermuteVar32x16(sc, i01 + one));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(lo23, yLo23), Avx512BW.PermuteVar32x16(sc, i23));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(hi23, yHi23), Avx512BW.PermuteVar32x16(sc, i23 + one));
        return Fold(s);
    }

    /// <summary>
    /// A Q8_K super-block's activation bytes as the Q4_K/Q5_K column kernels meet them: chunk c's low nibbles meet
    /// q8[64c, 64c+32), its high nibbles q8[64c+32, 64c+64); chunks 0 and 1 share a register, as do 2 and 3.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<sbyte> Lo01, Vector512<sbyte> Hi01, Vector512<sbyte> Lo23, Vector512<sbyte> Hi23) NibbleChunks(byte* y) =>
        (Load2(y + 4, y + 68), Load2(y + 36, y + 100), Load2(y + 132, y + 196), Load2(y + 164, y + 228));

    /// <summary>get_scale_min_k4 of one super-block of each of 4 rows: row r's 8 scales and 8 mins at sm + 16r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackScalesMins4(byte* x0, byte* x1, byte* x2, byte* x3, byte* sm)
    {
        Avx2KQuantDots.UnpackScalesMinsK4(x0 + 4, sm);
        Avx2KQuantDots.UnpackScalesMinsK4(x1 + 4, sm + 16);
        Avx2KQuantDots.UnpackScalesMinsK4(x2 + 4, sm + 32);
        Avx2KQuantDots.UnpackScalesMinsK4(x3 + 4, sm + 48);
    }

    /// <summary><paramref name="groups"/> groups of 4 rows of <see cref="Avx2KQuantDots.Q4_K"/> (rows x + i·xs); outputs s[0..4·groups).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_K(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        byte* sm = stackalloc byte[16 * Rows];
        long distance = GenerationPrefetch.Distance((long)n / 256 * 144, xs);
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            var accM0 = Vector128<float>.Zero; var accM1 = accM0; var accM2 = accM0; var accM3 = accM0;
            byte* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs, yb = y;
            for (int i = 0; i < n / 256; i++, x0 += 144, x1 += 144, x2 += 144, x3 += 144, yb += 292)
            {
                PrefetchAhead(x, distance, i, 144);
                float yd = *(float*)yb;
                var (yLo01, yHi01, yLo23, yHi23) = NibbleChunks(yb);
                UnpackScalesMins4(x0, x1, x2, x3, sm);
                accM0 = Fma.MultiplyAdd(Vector128.Create(-yd * Half(x0 + 2)), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(yb + 260, sm + 8)), accM0);
                accM1 = Fma.MultiplyAdd(Vector128.Create(-yd * Half(x1 + 2)), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(yb + 260, sm + 24)), accM1);
                accM2 = Fma.MultiplyAdd(Vector128.Create(-yd * Half(x2 + 2)), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(yb + 260, sm + 40)), accM2);
                accM3 = Fma.MultiplyAdd(Vector128.Create(-yd * Half(x3 + 2)), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(yb + 260, sm + 56)), accM3);
                acc0 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x0)), Avx.ConvertToVector256Single(Q4_KSums(x0, sm, yLo01, yHi01, yLo23, yHi23)), acc0);
                acc1 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x1)), Avx.ConvertToVector256Single(Q4_KSums(x1, sm + 16, yLo01, yHi01, yLo23, yHi23)), acc1);
                acc2 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x2)), Avx.ConvertToVector256Single(Q4_KSums(x2, sm + 32, yLo01, yHi01, yLo23, yHi23)), acc2);
                acc3 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x3)), Avx.ConvertToVector256Single(Q4_KSums(x3, sm + 48, yLo01, yHi01, yLo23, yHi23)), acc3);
            }
            s[0] = HSum(acc0) + Avx2KQuantDots.HSum4(accM0);
            s[1] = HSum(acc1) + Avx2KQuantDots.HSum4(accM1);
            s[2] = HSum(acc2) + Avx2KQuantDots.HSum4(accM2);
            s[3] = HSum(acc3) + Avx2KQuantDots.HSum4(accM3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q5_KSums(byte* x, byte* sm, Vector512<sbyte> yLo01, Vector512<sbyte> yHi01, Vector512<sbyte> yLo23, Vector512<sbyte> yHi23)
    {
        var m4 = Vector512.Create((byte)0x0F);
        var one = Vector512.Create((byte)1);
        var qh = Vector256.Load(x + 16);
        // chunk c takes qh bit 2c (low nibbles) and 2c + 1 (high nibbles) as its fifth bit
        var h01 = Vector512.Create(qh, Vector256.ShiftRightLogical(qh.AsUInt16(), 2).AsByte());
        var h23 = Vector512.ShiftRightLogical(h01.AsUInt16(), 4).AsByte();
        var b01 = Vector512.Load(x + 48);
        var b23 = Vector512.Load(x + 112);
        var lo01 = (b01 & m4) | Vector512.ShiftLeft((h01 & one).AsUInt16(), 4).AsByte();
        var hi01 = (Vector512.ShiftRightLogical(b01.AsUInt16(), 4).AsByte() & m4) | Vector512.ShiftLeft((Vector512.ShiftRightLogical(h01.AsUInt16(), 1).AsByte() & one).AsUInt16(), 4).AsByte();
        var lo23 = (b23 & m4) | Vector512.ShiftLeft((h23 & one).AsUInt16(), 4).AsByte();
        var hi23 = (Vector512.ShiftRightLogical(b23.AsUInt16(), 4).AsByte() & m4) | Vector512.ShiftLeft((Vector512.ShiftRightLogical(h23.AsUInt16(), 1).AsByte() & one).AsUInt16(), 4).AsByte();
        // byte-by-byte scale broadcasts here: the VPERMW form of Sums4 measured 35% slower in this kernel (22 -> 14 GMAC/s)
        var s = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(lo01, yLo01), Scales2(sm[0], sm[2]));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(hi01, yHi01), Scales2(sm[1], sm[3]));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(lo23, yLo23), Scales2(sm[4], sm[6]));
        s += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(hi23, yHi23), Scales2(sm[5], sm[7]));
        return Fold(s);
    }

    /// <summary><paramref name="groups"/> groups of 4 rows of <see cref="Avx2KQuantDots.Q5_K"/> (rows x + i·xs); outputs s[0..4·groups).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_K(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        byte* sm = stackalloc byte[16 * Rows];
        long distance = GenerationPrefetch.Distance((long)n / 256 * 176, xs);
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            float summs0 = 0, summs1 = 0, summs2 = 0, summs3 = 0;
            byte* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs, yb = y;
            for (int i = 0; i < n / 256; i++, x0 += 176, x1 += 176, x2 += 176, x3 += 176, yb += 292)
            {
                PrefetchAhead(x, distance, i, 176);
                float yd = *(float*)yb;
                var (yLo01, yHi01, yLo23, yHi23) = NibbleChunks(yb);
                UnpackScalesMins4(x0, x1, x2, x3, sm);
                summs0 += -yd * Half(x0 + 2) * Avx2KQuantDots.MinSum(yb + 260, sm + 8);
                summs1 += -yd * Half(x1 + 2) * Avx2KQuantDots.MinSum(yb + 260, sm + 24);
                summs2 += -yd * Half(x2 + 2) * Avx2KQuantDots.MinSum(yb + 260, sm + 40);
                summs3 += -yd * Half(x3 + 2) * Avx2KQuantDots.MinSum(yb + 260, sm + 56);
                acc0 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x0)), Avx.ConvertToVector256Single(Q5_KSums(x0, sm, yLo01, yHi01, yLo23, yHi23)), acc0);
                acc1 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x1)), Avx.ConvertToVector256Single(Q5_KSums(x1, sm + 16, yLo01, yHi01, yLo23, yHi23)), acc1);
                acc2 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x2)), Avx.ConvertToVector256Single(Q5_KSums(x2, sm + 32, yLo01, yHi01, yLo23, yHi23)), acc2);
                acc3 = Fma.MultiplyAdd(Vector256.Create(yd * Half(x3)), Avx.ConvertToVector256Single(Q5_KSums(x3, sm + 48, yLo01, yHi01, yLo23, yHi23)), acc3);
            }
            s[0] = HSum(acc0) + summs0; s[1] = HSum(acc1) + summs1; s[2] = HSum(acc2) + summs2; s[3] = HSum(acc3) + summs3;
        }
    }

    /// <summary>
    /// Six-bit quants of a Q6_K super-block as ggml's AVX2 kernel builds them, 64 per register: groups 4h, 4h+1
    /// (<paramref name="highNibbles"/> false: low nibbles of ql, qh bits 0–1 / 2–3) or 4h+2, 4h+3 (high nibbles, qh bits
    /// 4–5 / 6–7) of half <paramref name="h"/>. qh is read into both 256-bit halves and each half's two bits are masked
    /// in place and moved to bits 4–5 by a per-half word shift (4 and 2 left; 0 and 2 right).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Q6_KQuants(byte* x, int h, bool highNibbles)
    {
        const ulong nibble = 0x0F0F0F0F0F0F0F0FUL;
        var ql = Vector512.Load((ulong*)(x + 64 * h));
        // not Avx512F.BroadcastVector256ToVector512: .NET 10.0.401's JIT scales its disp8 by 32 instead of 16 (a load at
        // p + 0x80 reads p + 0x100), which broke this kernel; insert the loaded half instead
        var half = Vector256.Load((ulong*)(x + 128 + 32 * h));
        var qh = Avx512F.InsertVector256(half.ToVector512Unsafe(), half, 1);
        if (!highNibbles)
        {
            const ulong b01 = 0x0303030303030303UL, b23 = 0x0C0C0C0C0C0C0C0CUL, by4 = 0x0004000400040004UL, by2 = 0x0002000200020002UL;
            var high = Avx512BW.ShiftLeftLogicalVariable((qh & Vector512.Create(b01, b01, b01, b01, b23, b23, b23, b23)).AsUInt16(),
                Vector512.Create(by4, by4, by4, by4, by2, by2, by2, by2).AsUInt16());
            return ((ql & Vector512.Create(nibble)) | high.AsUInt64()).AsByte();
        }
        else
        {
            const ulong b45 = 0x3030303030303030UL, b67 = 0xC0C0C0C0C0C0C0C0UL, by2 = 0x0002000200020002UL;
            var high = Avx512BW.ShiftRightLogicalVariable((qh & Vector512.Create(b45, b45, b45, b45, b67, b67, b67, b67)).AsUInt16(),
                Vector512.Create(0, 0, 0, 0, by2, by2, by2, by2).AsUInt16());
            return ((Vector512.ShiftRightLogical(ql, 4) & Vector512.Create(nibble)) | high.AsUInt64()).AsByte();
        }
    }

    /// <summary>
    /// A Q6_K super-block's 16 int8 scales (one per 16 values) as int16 words in the low 256 bits; the upper 256 bits
    /// are undefined (<see cref="Q6_KScaleVector"/> picks words 0–15 only; zeroing them cost three operations per row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Q6_KScales(byte* x) =>
        Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)(x + 192))).ToVector512Unsafe();

    /// <summary>
    /// The scale of every int16 lane of quants register <paramref name="g"/> (<see cref="Q6_KQuants"/>: values 64g to
    /// 64g + 63, 16 per scale): scales 4g to 4g + 3, eight lanes each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Q6_KScaleVector(Vector512<short> scales, int g) => Simd512.SpreadScales(scales, 4 * g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6_KSums(byte* x, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3,
                                           Vector512<short> m0, Vector512<short> m1, Vector512<short> m2, Vector512<short> m3)
    {
        var scales = Q6_KScales(x);
        var sum = Vector512<int>.Zero;
        for (int h = 0; h < 2; h++)
        {
            var u01 = Q6_KQuants(x, h, highNibbles: false);
            var u23 = Q6_KQuants(x, h, highNibbles: true);
            var sc01 = Q6_KScaleVector(scales, 2 * h);
            var sc23 = Q6_KScaleVector(scales, 2 * h + 1);
            var ya = h == 0 ? y0 : y2;
            var yb = h == 0 ? y1 : y3;
            var ma = h == 0 ? m0 : m2;
            var mb = h == 0 ? m1 : m3;
            sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u01, ya) - ma, sc01);
            sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u23, yb) - mb, sc23);
        }
        return Fold(sum);
    }

    /// <summary><paramref name="groups"/> groups of 4 rows of <see cref="Avx2KQuantDots.Q6_K"/> (rows x + i·xs); outputs s[0..4·groups).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_K(byte* x, nint xs, byte* y, int n, float* s, int groups)
    {
        var m32 = Vector512.Create((byte)32);
        long distance = GenerationPrefetch.Distance((long)n / 256 * 210, xs);
        for (int g = 0; g < groups; g++, x += Rows * xs, s += Rows)
        {
            var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
            byte* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs, yb = y;
            for (int i = 0; i < n / 256; i++, x0 += 210, x1 += 210, x2 += 210, x3 += 210, yb += 292)
            {
                PrefetchAhead(x, distance, i, 210);
                float yd = *(float*)yb;
                // groups k = 0..7 of 32 values: q8 at 4 + 32k; pairs (0,1) (2,3) (4,5) (6,7), with 32·(pair sums) to subtract
                var y0 = Vector512.Load((sbyte*)(yb + 4));
                var y1 = Vector512.Load((sbyte*)(yb + 68));
                var y2 = Vector512.Load((sbyte*)(yb + 132));
                var y3 = Vector512.Load((sbyte*)(yb + 196));
                var m0 = Avx512BW.MultiplyAddAdjacent(m32, y0);
                var m1 = Avx512BW.MultiplyAddAdjacent(m32, y1);
                var m2 = Avx512BW.MultiplyAddAdjacent(m32, y2);
                var m3 = Avx512BW.MultiplyAddAdjacent(m32, y3);
                acc0 = Fma.MultiplyAdd(Vector256.Create(Half(x0 + 208) * yd), Avx.ConvertToVector256Single(Q6_KSums(x0, y0, y1, y2, y3, m0, m1, m2, m3)), acc0);
                acc1 = Fma.MultiplyAdd(Vector256.Create(Half(x1 + 208) * yd), Avx.ConvertToVector256Single(Q6_KSums(x1, y0, y1, y2, y3, m0, m1, m2, m3)), acc1);
                acc2 = Fma.MultiplyAdd(Vector256.Create(Half(x2 + 208) * yd), Avx.ConvertToVector256Single(Q6_KSums(x2, y0, y1, y2, y3, m0, m1, m2, m3)), acc2);
                acc3 = Fma.MultiplyAdd(Vector256.Create(Half(x3 + 208) * yd), Avx.ConvertToVector256Single(Q6_KSums(x3, y0, y1, y2, y3, m0, m1, m2, m3)), acc3);
            }
            s[0] = HSum(acc0); s[1] = HSum(acc1); s[2] = HSum(acc2); s[3] = HSum(acc3);
        }
    }

    // ---- one weight row against 4 activation rows (prompt processing), same exact folding -------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6_KAct(Vector512<byte> u0, Vector512<byte> u1, Vector512<byte> u2, Vector512<byte> u3,
                                          Vector512<short> c0, Vector512<short> c1, Vector512<short> c2, Vector512<short> c3, byte* y)
    {
        var m32 = Vector512.Create((byte)32);
        var y0 = Vector512.Load((sbyte*)(y + 4));
        var y1 = Vector512.Load((sbyte*)(y + 68));
        var y2 = Vector512.Load((sbyte*)(y + 132));
        var y3 = Vector512.Load((sbyte*)(y + 196));
        var sum = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u0, y0) - Avx512BW.MultiplyAddAdjacent(m32, y0), c0);
        sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u1, y1) - Avx512BW.MultiplyAddAdjacent(m32, y1), c1);
        sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u2, y2) - Avx512BW.MultiplyAddAdjacent(m32, y2), c2);
        sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u3, y3) - Avx512BW.MultiplyAddAdjacent(m32, y3), c3);
        return Fold(sum);
    }

    /// <summary>One Q6_K weight row against 4 activation rows: outputs s[j·ss], bit-identical to <see cref="Avx2KQuantDots.Q6_K"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KRows(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        for (int i = 0; i < n / 256; i++, x += 210, y0 += 292, y1 += 292, y2 += 292, y3 += 292)
        {
            var scales = Q6_KScales(x);
            var u0 = Q6_KQuants(x, 0, highNibbles: false);
            var u1 = Q6_KQuants(x, 0, highNibbles: true);
            var u2 = Q6_KQuants(x, 1, highNibbles: false);
            var u3 = Q6_KQuants(x, 1, highNibbles: true);
            var c0 = Q6_KScaleVector(scales, 0);
            var c1 = Q6_KScaleVector(scales, 1);
            var c2 = Q6_KScaleVector(scales, 2);
            var c3 = Q6_KScaleVector(scales, 3);
            float hd = Half(x + 208);
            acc0 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y0), Avx.ConvertToVector256Single(Q6_KAct(u0, u1, u2, u3, c0, c1, c2, c3, y0)), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y1), Avx.ConvertToVector256Single(Q6_KAct(u0, u1, u2, u3, c0, c1, c2, c3, y1)), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y2), Avx.ConvertToVector256Single(Q6_KAct(u0, u1, u2, u3, c0, c1, c2, c3, y2)), acc2);
            acc3 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y3), Avx.ConvertToVector256Single(Q6_KAct(u0, u1, u2, u3, c0, c1, c2, c3, y3)), acc3);
        }
        s[0] = HSum(acc0); s[ss] = HSum(acc1); s[2 * ss] = HSum(acc2); s[3 * ss] = HSum(acc3);
    }

    /// <summary>
    /// Two Q6_K weight rows (xa, xa + xs) against 4 activation rows: outputs s[i + j·ss], each bit-identical to
    /// <see cref="Q6_KRows"/> (and so to <see cref="Avx2KQuantDots.Q6_K"/>). The rows' 6-bit quants and per-16 scale
    /// vectors are unpacked first (<see cref="PrepareQ6_KPairs"/>; a caller running many activation groups over the same
    /// rows prepares them once); the activation chunks and their 32·y terms are formed once for both rows.
    /// </summary>
    public static void Q6_KTile2x4(byte* xa, nint xs, byte* y, nint ys, int n, float* s, nint ss) =>
        Q6_KPrepared.RunOnePair(xa, xs, y, ys, n, s, ss);

    /// <summary>The Q6_K tile's prepared form: <see cref="PrepareQ6_KPairs"/> and <see cref="Q6_KTile2x4Prepared"/>.</summary>
    internal static readonly PreparedTile Q6_KPrepared = new(&PrepareQ6_KPairs, &Q6_KTile2x4Prepared, Q6_KPairRecordBytes);

    /// <summary>
    /// Bytes per super-block of a prepared Q6_K row pair: per row the 256 quants as unsigned 6-bit bytes in the tile's
    /// four registers (groups 0–1, 2–3, 4–5, 6–7) and the four matching scale vectors (int16), then d_A, d_B; 64-aligned.
    /// </summary>
    public const int Q6_KPairRecordBytes = 1088;

    /// <summary>
    /// The weight side of <paramref name="pairs"/> consecutive Q6_K row pairs (rows 2p, 2p + 1 from <paramref name="x"/>,
    /// <paramref name="xs"/> apart): pair p's super-block i at <paramref name="side"/> + (p·n/256 + i)·<see cref="Q6_KPairRecordBytes"/>
    /// (<see cref="PreparedTile.Prepare"/> aligns it).
    /// </summary>
    public static void PrepareQ6_KPairs(byte* x, nint xs, int pairs, int n, byte* side)
    {
        byte* record = side;
        for (int p = 0; p < pairs; p++)
            for (int i = 0; i < n / 256; i++, record += Q6_KPairRecordBytes)
                for (int row = 0; row < 2; row++)
                {
                    byte* w = x + (2 * p + row) * xs + (long)i * 210;
                    byte* dst = record + 512 * row;
                    var scales = Q6_KScales(w);
                    for (int h = 0; h < 2; h++)
                    {
                        Q6_KQuants(w, h, highNibbles: false).Store(dst + 128 * h);
                        Q6_KQuants(w, h, highNibbles: true).Store(dst + 128 * h + 64);
                        Q6_KScaleVector(scales, 2 * h).Store((short*)(dst + 256 + 128 * h));
                        Q6_KScaleVector(scales, 2 * h + 1).Store((short*)(dst + 256 + 128 * h + 64));
                    }
                    ((float*)(record + 1024))[row] = Half(w + 208);
                }
    }

    /// <summary><see cref="Q6_KTile2x4"/> over a pair prepared by <see cref="PrepareQ6_KPairs"/> (at <paramref name="side"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KTile2x4Prepared(byte* xa, nint xs, byte* y, nint ys, int n, float* s, nint ss, byte* side)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
        var m32 = Vector512.Create((byte)32);
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        for (int i = 0; i < n / 256; i++, y0 += 292, y1 += 292, y2 += 292, y3 += 292, side += Q6_KPairRecordBytes)
        {
            var sa0 = Vector512<int>.Zero; var sa1 = sa0; var sa2 = sa0; var sa3 = sa0;
            var sb0 = sa0; var sb1 = sa0; var sb2 = sa0; var sb3 = sa0;
            for (int h = 0; h < 2; h++)
            {
                byte* ra = side + 128 * h, rb = ra + 512;
                var uA01 = Vector512.Load(ra); var uA23 = Vector512.Load(ra + 64);
                var uB01 = Vector512.Load(rb); var uB23 = Vector512.Load(rb + 64);
                var cA01 = Vector512.Load((short*)(ra + 256)); var cA23 = Vector512.Load((short*)(ra + 320));
                var cB01 = Vector512.Load((short*)(rb + 256)); var cB23 = Vector512.Load((short*)(rb + 320));
                int q = 4 + 128 * h;
                Q6_KPair(uA01, uA23, uB01, uB23, cA01, cA23, cB01, cB23, m32, y0 + q, ref sa0, ref sb0);
                Q6_KPair(uA01, uA23, uB01, uB23, cA01, cA23, cB01, cB23, m32, y1 + q, ref sa1, ref sb1);
                Q6_KPair(uA01, uA23, uB01, uB23, cA01, cA23, cB01, cB23, m32, y2 + q, ref sa2, ref sb2);
                Q6_KPair(uA01, uA23, uB01, uB23, cA01, cA23, cB01, cB23, m32, y3 + q, ref sa3, ref sb3);
            }
            float hda = ((float*)(side + 1024))[0], hdb = ((float*)(side + 1024))[1];
            float yd0 = *(float*)y0, yd1 = *(float*)y1, yd2 = *(float*)y2, yd3 = *(float*)y3;
            a0 = Fma.MultiplyAdd(Vector256.Create(hda * yd0), Avx.ConvertToVector256Single(Fold(sa0)), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(hda * yd1), Avx.ConvertToVector256Single(Fold(sa1)), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(hda * yd2), Avx.ConvertToVector256Single(Fold(sa2)), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(hda * yd3), Avx.ConvertToVector256Single(Fold(sa3)), a3);
            b0 = Fma.MultiplyAdd(Vector256.Create(hdb * yd0), Avx.ConvertToVector256Single(Fold(sb0)), b0);
            b1 = Fma.MultiplyAdd(Vector256.Create(hdb * yd1), Avx.ConvertToVector256Single(Fold(sb1)), b1);
            b2 = Fma.MultiplyAdd(Vector256.Create(hdb * yd2), Avx.ConvertToVector256Single(Fold(sb2)), b2);
            b3 = Fma.MultiplyAdd(Vector256.Create(hdb * yd3), Avx.ConvertToVector256Single(Fold(sb3)), b3);
        }
        s[0] = HSum(a0); s[ss] = HSum(a1); s[2 * ss] = HSum(a2); s[3 * ss] = HSum(a3);
        s[1] = HSum(b0); s[1 + ss] = HSum(b1); s[1 + 2 * ss] = HSum(b2); s[1 + 3 * ss] = HSum(b3);
    }

    /// <summary>Half a super-block of one activation row for both weight rows: its chunks and 32·y terms formed once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6_KPair(Vector512<byte> uA01, Vector512<byte> uA23, Vector512<byte> uB01, Vector512<byte> uB23,
                                 Vector512<short> cA01, Vector512<short> cA23, Vector512<short> cB01, Vector512<short> cB23,
                                 Vector512<byte> m32, byte* y, ref Vector512<int> sa, ref Vector512<int> sb)
    {
        var ya = Vector512.Load((sbyte*)y);
        var yb = Vector512.Load((sbyte*)(y + 64));
        var ma = Avx512BW.MultiplyAddAdjacent(m32, ya);
        var mb = Avx512BW.MultiplyAddAdjacent(m32, yb);
        sa += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uA01, ya) - ma, cA01)
            + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uA23, yb) - mb, cA23);
        sb += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uB01, ya) - ma, cB01)
            + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(uB23, yb) - mb, cB23);
    }
}
