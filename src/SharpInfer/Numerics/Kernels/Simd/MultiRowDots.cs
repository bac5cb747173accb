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

    /// <summary>
    /// Rows of <see cref="Avx2LegacyDots.IQ4_NL"/> (ggml's shape: block pairs into two accumulators per row, an odd last
    /// block in scalar code): each block's values and their magnitudes decoded once for the four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void IQ4_NLAvx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc1 = stackalloc Vector256<float>[Rows];
        var acc2 = stackalloc Vector256<float>[Rows];
        for (int j = 0; j < Rows; j++) acc1[j] = acc2[j] = Vector256<float>.Zero;
        int nb = n / 32, ib = 0;
        for (; ib + 1 < nb; ib += 2, x += 36, y += 68)
        {
            var q1 = Avx2LegacyDots.IQ4_NLValues(x);
            var q2 = Avx2LegacyDots.IQ4_NLValues(x + 18);
            var a1 = Avx2.Abs(q1).AsByte();
            var a2 = Avx2.Abs(q2).AsByte();
            float d1 = Half(x), d2 = Half(x + 18);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                var p1 = DotU8I8(a1, Avx2.Sign(Vector256.Load((sbyte*)(yj + 2)), q1));
                var p2 = DotU8I8(a2, Avx2.Sign(Vector256.Load((sbyte*)(yj + 36)), q2));
                acc1[j] = Fma.MultiplyAdd(Vector256.Create(Half(yj) * d1), Avx.ConvertToVector256Single(p1), acc1[j]);
                acc2[j] = Fma.MultiplyAdd(Vector256.Create(Half(yj + 34) * d2), Avx.ConvertToVector256Single(p2), acc2[j]);
            }
        }
        for (int j = 0; j < Rows; j++)
        {
            float sumf = HSum(acc1[j] + acc2[j]);
            if (ib < nb) sumf += Avx2LegacyDots.IQ4_NLTail(x, y + j * ys);
            s[j * ss] = sumf;
        }
    }

    /// <summary>
    /// Rows of <see cref="Avx2LegacyDots.Q5_1"/>, each row's arithmetic the single-row kernel's (summs += m·s per block,
    /// the block's int32 lanes FMA'd by d_x·d_y into eight lanes, hsum_float_8 of those plus summs): each block's five-bit
    /// quants unpacked once for the four rows. (The same for Q4_1 measured no faster: its unpacking is two operations.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_1Avx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        var summs = stackalloc float[Rows];
        for (int j = 0; j < Rows; j++) { acc[j] = Vector256<float>.Zero; summs[j] = 0; }
        for (int ib = 0; ib < n / 32; ib++, x += 24, y += 36)
        {
            var u = Nibbles(x + 8) | (BytesFromBits(*(uint*)(x + 4)) & Vector256.Create((byte)0x10));
            float dx = Half(x), mx = Half(x + 2);
            for (int j = 0; j < Rows; j++)
            {
                byte* yj = y + j * ys;
                summs[j] += mx * Half(yj + 2);
                acc[j] = Fma.MultiplyAdd(Vector256.Create(dx * Half(yj)), Avx.ConvertToVector256Single(DotU8I8(u, Vector256.Load((sbyte*)(yj + 4)))), acc[j]);
            }
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]) + summs[j];
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
        Q45_KAvx2<Q4_KKind>(x, y, ys, n, s, ss);
    }

    /// <summary>Rows of <see cref="Avx2KQuantDots.Q5_K"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q5_KAvx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        Q45_KAvx2<Q5_KKind>(x, y, ys, n, s, ss);
    }

    /// <summary>One Q4_K/Q5_K chunk (64 values: two 32-value sub-blocks) of one activation row into its int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> KChunk(Vector256<byte> lo, Vector256<byte> hi, byte* q8, Vector256<short> scLo, Vector256<short> scHi, Vector256<int> sumi)
    {
        sumi += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(lo, Vector256.Load((sbyte*)q8)), scLo);
        return sumi + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hi, Vector256.Load((sbyte*)(q8 + 32))), scHi);
    }

    // Accumulators are locals, never stackalloc'd vectors: the JIT keeps locals in registers, arrays in memory.
    // Q4_K/Q5_K is a type parameter, not a bool: the JIT does not inline a kernel this size, so only a per-type
    // instantiation folds the branches away.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q45_KAvx2<TKind>(byte* x, byte* y, nint ys, int n, float* s, nint ss) where TKind : struct, IKQuantKind
    {
        bool highBits = TKind.HighBits;
        byte* sm = stackalloc byte[16];
        int blockBytes = highBits ? 176 : 144, offQs = highBits ? 48 : 16;
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        var accM0 = Vector128<float>.Zero; var accM1 = accM0; var accM2 = accM0; var accM3 = accM0;
        float summs0 = 0, summs1 = 0, summs2 = 0, summs3 = 0;
        var m4 = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        for (int i = 0; i < n / 256; i++, x += blockBytes, y0 += 292, y1 += 292, y2 += 292, y3 += 292)
        {
            Avx2KQuantDots.UnpackScalesMinsK4(x + 4, sm);
            float hd = Half(x), hmin = Half(x + 2);
            float yd0 = *(float*)y0, yd1 = *(float*)y1, yd2 = *(float*)y2, yd3 = *(float*)y3;
            if (highBits)
            {
                summs0 += -yd0 * hmin * Avx2KQuantDots.MinSum(y0 + 260, sm + 8);
                summs1 += -yd1 * hmin * Avx2KQuantDots.MinSum(y1 + 260, sm + 8);
                summs2 += -yd2 * hmin * Avx2KQuantDots.MinSum(y2 + 260, sm + 8);
                summs3 += -yd3 * hmin * Avx2KQuantDots.MinSum(y3 + 260, sm + 8);
            }
            else
            {
                accM0 = Fma.MultiplyAdd(Vector128.Create(-yd0 * hmin), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(y0 + 260, sm + 8)), accM0);
                accM1 = Fma.MultiplyAdd(Vector128.Create(-yd1 * hmin), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(y1 + 260, sm + 8)), accM1);
                accM2 = Fma.MultiplyAdd(Vector128.Create(-yd2 * hmin), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(y2 + 260, sm + 8)), accM2);
                accM3 = Fma.MultiplyAdd(Vector128.Create(-yd3 * hmin), Sse2.ConvertToVector128Single(Avx2KQuantDots.MinLanes(y3 + 260, sm + 8)), accM3);
            }
            var qh = highBits ? Vector256.Load(x + 16) : default;
            var sumi0 = Vector256<int>.Zero; var sumi1 = sumi0; var sumi2 = sumi0; var sumi3 = sumi0;
            for (int c = 0; c < 4; c++)
            {
                var bits = Vector256.Load(x + offQs + 32 * c);
                var lo = bits & m4;
                var hi = Vector256.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                if (highBits)
                {
                    lo |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(qh.AsUInt16(), 2 * c).AsByte() & one).AsUInt16(), 4).AsByte();
                    hi |= Vector256.ShiftLeft((Vector256.ShiftRightLogical(qh.AsUInt16(), 2 * c + 1).AsByte() & one).AsUInt16(), 4).AsByte();
                }
                var scLo = Vector256.Create((short)sm[2 * c]);
                var scHi = Vector256.Create((short)sm[2 * c + 1]);
                int q = 4 + 64 * c;
                sumi0 = KChunk(lo, hi, y0 + q, scLo, scHi, sumi0);
                sumi1 = KChunk(lo, hi, y1 + q, scLo, scHi, sumi1);
                sumi2 = KChunk(lo, hi, y2 + q, scLo, scHi, sumi2);
                sumi3 = KChunk(lo, hi, y3 + q, scLo, scHi, sumi3);
            }
            acc0 = Fma.MultiplyAdd(Vector256.Create(yd0 * hd), Avx.ConvertToVector256Single(sumi0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(yd1 * hd), Avx.ConvertToVector256Single(sumi1), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(yd2 * hd), Avx.ConvertToVector256Single(sumi2), acc2);
            acc3 = Fma.MultiplyAdd(Vector256.Create(yd3 * hd), Avx.ConvertToVector256Single(sumi3), acc3);
        }
        if (highBits)
        {
            s[0] = HSum(acc0) + summs0; s[ss] = HSum(acc1) + summs1; s[2 * ss] = HSum(acc2) + summs2; s[3 * ss] = HSum(acc3) + summs3;
        }
        else
        {
            s[0] = HSum(acc0) + Avx2KQuantDots.HSum4(accM0); s[ss] = HSum(acc1) + Avx2KQuantDots.HSum4(accM1);
            s[2 * ss] = HSum(acc2) + Avx2KQuantDots.HSum4(accM2); s[3 * ss] = HSum(acc3) + Avx2KQuantDots.HSum4(accM3);
        }
    }

    /// <summary>
    /// Two Q4_K weight rows against 4 activation rows: each activation chunk is loaded once for both weight rows.
    /// Outputs s[i + j·ss] (weight row i, activation row j), bit-identical to <see cref="Avx2KQuantDots.Q4_K"/>.
    /// The weight side of each super-block (6-bit scales and mins, d, dmin) is unpacked first
    /// (<see cref="PrepareQ4_KPairs"/>); a caller that runs many activation groups over the same rows prepares them once.
    /// </summary>
    public static void Q4_KTile2x4(byte* xa, nint xs, byte* y, nint ys, int n, float* s, nint ss) =>
        Q4_KPrepared.RunOnePair(xa, xs, y, ys, n, s, ss);

    /// <summary>The Q4_K tile's prepared form: <see cref="PrepareQ4_KPairs"/> and <see cref="Q4_KTile2x4Prepared"/>.</summary>
    internal static readonly PreparedTile Q4_KPrepared = new(&PrepareQ4_KPairs, &Q4_KTile2x4Prepared, Q4_KPairRecordBytes);

    /// <summary>Bytes per super-block of a prepared Q4_K row pair: row A's scales (words) in both 128-bit lanes, row B's, both rows' mins, then d_A, d_B, −dmin_A, −dmin_B.</summary>
    public const int Q4_KPairRecordBytes = 112;

    /// <summary>
    /// The weight side of <paramref name="pairs"/> consecutive Q4_K row pairs (rows 2p and 2p + 1 from <paramref name="x"/>,
    /// <paramref name="xs"/> apart) for <see cref="Q4_KTile2x4Prepared"/>: pair p's super-block i at
    /// <paramref name="side"/> + (p·n/256 + i)·<see cref="Q4_KPairRecordBytes"/> (<see cref="PreparedTile.Prepare"/> aligns it).
    /// </summary>
    public static void PrepareQ4_KPairs(byte* x, nint xs, int pairs, int n, byte* side)
    {
        int superBlocks = n / 256;
        for (int p = 0; p < pairs; p++)
        {
            byte* xa = x + 2 * p * xs, xb = xa + xs;
            for (int i = 0; i < superBlocks; i++, xa += 144, xb += 144, side += Q4_KPairRecordBytes)
            {
                // qwords scA minA | scB minB → scA scB minA minB, widened to words: [scales A | scales B], [mins A | mins B]
                var unpacked = Avx2.Permute4x64(Avx2KQuantDots.UnpackScalesMinsK4Pair(xa + 4, xb + 4).AsUInt64(), 0b11_01_10_00).AsByte();
                var scales = Avx2.ConvertToVector256Int16(unpacked.GetLower());
                Avx2.Permute4x64(scales.AsUInt64(), 0b01_00_01_00).Store((ulong*)side);        // row A's 8 scales in both lanes
                Avx2.Permute4x64(scales.AsUInt64(), 0b11_10_11_10).Store((ulong*)(side + 32)); // row B's
                Avx2.ConvertToVector256Int16(unpacked.GetUpper()).Store((short*)(side + 64));
                float* f = (float*)(side + 96);
                f[0] = Half(xa); f[1] = Half(xb); f[2] = -Half(xa + 2); f[3] = -Half(xb + 2);
            }
        }
    }

    /// <summary><see cref="Q4_KTile2x4"/> with the pair's weight side prepared by <see cref="PrepareQ4_KPairs"/> (at <paramref name="side"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_KTile2x4Prepared(byte* xa, nint xs, byte* y, nint ys, int n, float* s, nint ss, byte* side)
    {
        byte* xb = xa + xs;
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
        var m0 = a0; var m1 = a0; var m2 = a0; var m3 = a0;  // min terms: row A in lanes 0-3, row B in lanes 4-7
        var m4 = Vector256.Create((byte)0x0F);
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        for (int i = 0; i < n / 256; i++, xa += 144, xb += 144, y0 += 292, y1 += 292, y2 += 292, y3 += 292, side += Q4_KPairRecordBytes)
        {
            var mins = Vector256.Load((short*)(side + 64));
            float* f = (float*)(side + 96);
            float hda = f[0], hdb = f[1];
            float yd0 = *(float*)y0, yd1 = *(float*)y1, yd2 = *(float*)y2, yd3 = *(float*)y3;
            var negMin = Vector256.Create(Vector128.Create(f[2]), Vector128.Create(f[3]));
            m0 = Fma.MultiplyAdd(Vector256.Create(yd0) * negMin, MinLanes2(y0 + 260, mins), m0);
            m1 = Fma.MultiplyAdd(Vector256.Create(yd1) * negMin, MinLanes2(y1 + 260, mins), m1);
            m2 = Fma.MultiplyAdd(Vector256.Create(yd2) * negMin, MinLanes2(y2 + 260, mins), m2);
            m3 = Fma.MultiplyAdd(Vector256.Create(yd3) * negMin, MinLanes2(y3 + 260, mins), m3);
            var scA = Vector256.Load((short*)side);
            var scB = Vector256.Load((short*)(side + 32));
            var pickLo = Vector256.Create((short)0x0100).AsByte(); // vpshufb pattern: word 2c in every word
            var pickHi = Vector256.Create((short)0x0302).AsByte(); // word 2c + 1
            var step = Vector256.Create((byte)4);
            var ia0 = Vector256<int>.Zero; var ia1 = ia0; var ia2 = ia0; var ia3 = ia0;
            var ib0 = ia0; var ib1 = ia0; var ib2 = ia0; var ib3 = ia0;
            for (int c = 0; c < 4; c++)
            {
                var bitsA = Vector256.Load(xa + 16 + 32 * c);
                var bitsB = Vector256.Load(xb + 16 + 32 * c);
                var loA = bitsA & m4; var hiA = Vector256.ShiftRightLogical(bitsA.AsUInt16(), 4).AsByte() & m4;
                var loB = bitsB & m4; var hiB = Vector256.ShiftRightLogical(bitsB.AsUInt16(), 4).AsByte() & m4;
                var sLoA = Avx2.Shuffle(scA.AsByte(), pickLo).AsInt16(); var sHiA = Avx2.Shuffle(scA.AsByte(), pickHi).AsInt16();
                var sLoB = Avx2.Shuffle(scB.AsByte(), pickLo).AsInt16(); var sHiB = Avx2.Shuffle(scB.AsByte(), pickHi).AsInt16();
                pickLo += step; pickHi += step;
                int q = 4 + 64 * c;
                Chunk2(loA, hiA, loB, hiB, sLoA, sHiA, sLoB, sHiB, y0 + q, ref ia0, ref ib0);
                Chunk2(loA, hiA, loB, hiB, sLoA, sHiA, sLoB, sHiB, y1 + q, ref ia1, ref ib1);
                Chunk2(loA, hiA, loB, hiB, sLoA, sHiA, sLoB, sHiB, y2 + q, ref ia2, ref ib2);
                Chunk2(loA, hiA, loB, hiB, sLoA, sHiA, sLoB, sHiB, y3 + q, ref ia3, ref ib3);
            }
            a0 = Fma.MultiplyAdd(Vector256.Create(yd0 * hda), Avx.ConvertToVector256Single(ia0), a0);
            a1 = Fma.MultiplyAdd(Vector256.Create(yd1 * hda), Avx.ConvertToVector256Single(ia1), a1);
            a2 = Fma.MultiplyAdd(Vector256.Create(yd2 * hda), Avx.ConvertToVector256Single(ia2), a2);
            a3 = Fma.MultiplyAdd(Vector256.Create(yd3 * hda), Avx.ConvertToVector256Single(ia3), a3);
            b0 = Fma.MultiplyAdd(Vector256.Create(yd0 * hdb), Avx.ConvertToVector256Single(ib0), b0);
            b1 = Fma.MultiplyAdd(Vector256.Create(yd1 * hdb), Avx.ConvertToVector256Single(ib1), b1);
            b2 = Fma.MultiplyAdd(Vector256.Create(yd2 * hdb), Avx.ConvertToVector256Single(ib2), b2);
            b3 = Fma.MultiplyAdd(Vector256.Create(yd3 * hdb), Avx.ConvertToVector256Single(ib3), b3);
        }
        s[0] = HSum(a0) + Avx2KQuantDots.HSum4(m0.GetLower()); s[ss] = HSum(a1) + Avx2KQuantDots.HSum4(m1.GetLower());
        s[2 * ss] = HSum(a2) + Avx2KQuantDots.HSum4(m2.GetLower()); s[3 * ss] = HSum(a3) + Avx2KQuantDots.HSum4(m3.GetLower());
        s[1] = HSum(b0) + Avx2KQuantDots.HSum4(m0.GetUpper()); s[1 + ss] = HSum(b1) + Avx2KQuantDots.HSum4(m1.GetUpper());
        s[1 + 2 * ss] = HSum(b2) + Avx2KQuantDots.HSum4(m2.GetUpper()); s[1 + 3 * ss] = HSum(b3) + Avx2KQuantDots.HSum4(m3.GetUpper());
    }

    /// <summary>
    /// <see cref="Avx2KQuantDots.MinLanes"/> of one activation row for two weight rows at once (<paramref name="mins"/>:
    /// row A's 8 mins as words low, row B's high), as floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MinLanes2(byte* bsums, Vector256<short> mins)
    {
        var q8s = Ssse3.HorizontalAdd(Vector128.Load((short*)bsums), Vector128.Load((short*)bsums + 8));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(mins, Vector256.Create(q8s, q8s)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk2(Vector256<byte> loA, Vector256<byte> hiA, Vector256<byte> loB, Vector256<byte> hiB,
                               Vector256<short> sLoA, Vector256<short> sHiA, Vector256<short> sLoB, Vector256<short> sHiB,
                               byte* q8, ref Vector256<int> ia, ref Vector256<int> ib)
    {
        var yLo = Vector256.Load((sbyte*)q8);
        var yHi = Vector256.Load((sbyte*)(q8 + 32));
        ia += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(loA, yLo), sLoA);
        ia += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hiA, yHi), sHiA);
        ib += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(loB, yLo), sLoB);
        ib += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(hiB, yHi), sHiB);
    }

    /// <summary>One Q6_K 32-value group of one activation row: (u − 32)·y in int16 pairs, scaled into int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Group(Vector256<byte> u, byte* q8, Vector256<short> sc, Vector256<int> sumi)
    {
        var yv = Vector256.Load((sbyte*)q8);
        var pairs = Avx2.MultiplyAddAdjacent(u, yv) - Avx2.MultiplyAddAdjacent(Vector256.Create((byte)32), yv);
        return sumi + Avx2.MultiplyAddAdjacent(pairs, sc);
    }

    /// <summary>Rows of <see cref="Avx2KQuantDots.Q6_K"/> (ggml's AVX2 order, which llama.cpp's AVX-512 builds also run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_KAvx2(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        var m4 = Vector256.Create((byte)0x0F);
        var m3 = Vector256.Create((byte)3);
        byte* y0 = y, y1 = y + ys, y2 = y + 2 * ys, y3 = y + 3 * ys;
        for (int i = 0; i < n / 256; i++, x += 210, y0 += 292, y1 += 292, y2 += 292, y3 += 292)
        {
            sbyte* sc = (sbyte*)(x + 192);
            var sumi0 = Vector256<int>.Zero; var sumi1 = sumi0; var sumi2 = sumi0; var sumi3 = sumi0;
            int q = 4;
            for (int h = 0; h < 2; h++)
            {
                var ql0 = Vector256.Load(x + 64 * h);
                var ql1 = Vector256.Load(x + 64 * h + 32);
                var qh = Vector256.Load(x + 128 + 32 * h);
                for (int k = 0; k < 4; k++, q += 32)
                {
                    var low = (k & 1) == 0 ? ql0 : ql1;
                    if (k >= 2) low = Vector256.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
                    var high = Vector256.ShiftLeft((Vector256.ShiftRightLogical(qh.AsUInt16(), 2 * k).AsByte() & m3).AsUInt16(), 4).AsByte();
                    var u = (low & m4) | high;
                    int g = 8 * h + 2 * k;
                    var scv = Vector256.Create(Vector128.Create((short)sc[g]), Vector128.Create((short)sc[g + 1]));
                    sumi0 = Q6Group(u, y0 + q, scv, sumi0);
                    sumi1 = Q6Group(u, y1 + q, scv, sumi1);
                    sumi2 = Q6Group(u, y2 + q, scv, sumi2);
                    sumi3 = Q6Group(u, y3 + q, scv, sumi3);
                }
            }
            float hd = Half(x + 208);
            acc0 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y0), Avx.ConvertToVector256Single(sumi0), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y1), Avx.ConvertToVector256Single(sumi1), acc1);
            acc2 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y2), Avx.ConvertToVector256Single(sumi2), acc2);
            acc3 = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)y3), Avx.ConvertToVector256Single(sumi3), acc3);
        }
        s[0] = HSum(acc0); s[ss] = HSum(acc1); s[2 * ss] = HSum(acc2); s[3 * ss] = HSum(acc3);
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
                    var sc = Simd512.SpreadScales(scales, 8 * h + 4 * p);
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

    /// <summary>Rows of <see cref="Avx512KQuantDots.IQ4_XS"/>: the values, their magnitudes and signs and the scales once per weight block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void IQ4_XSAvx512(byte* x, byte* y, nint ys, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[Rows];
        var sumi = stackalloc Vector512<int>[Rows];
        for (int j = 0; j < Rows; j++) acc[j] = Vector256<float>.Zero;
        var table = Avx512KQuantDots.IQ4ValuesTable();
        for (int ibl = 0; ibl < n / 256; ibl++, x += 136, y += 292)
        {
            var scales = Avx512KQuantDots.IQ4_XSScales(x);
            for (int j = 0; j < Rows; j++) sumi[j] = Vector512<int>.Zero;
            for (int h = 0; h < 2; h++)
            {
                var (q0, q1) = Avx512KQuantDots.IQ4_XSValues(table, x + 8 + 64 * h);
                for (int r = 0; r < 2; r++)
                {
                    var q = r == 0 ? q0 : q1;
                    var magnitude = Vector512.Abs(q).AsByte();
                    var negative = Vector512.LessThan(q, Vector512<sbyte>.Zero);
                    var sc = Avx512KQuantDots.IQ4_XSPairScales(scales, 2 * h + r);
                    for (int j = 0; j < Rows; j++)
                        sumi[j] += Avx512KQuantDots.IQ4_XSTerms(magnitude, negative, Vector512.Load((sbyte*)(y + j * ys + 4 + 128 * h + 64 * r)), sc);
                }
            }
            float hd = Half(x);
            for (int j = 0; j < Rows; j++)
                acc[j] = Fma.MultiplyAdd(Vector256.Create(hd * *(float*)(y + j * ys)), Avx.ConvertToVector256Single(sumi[j].GetLower() + sumi[j].GetUpper()), acc[j]);
        }
        for (int j = 0; j < Rows; j++) s[j * ss] = HSum(acc[j]);
    }
}

/// <summary>Q4_K or Q5_K, as a type so the shared kernels are compiled once per kind with the branch folded.</summary>
internal interface IKQuantKind
{
    static abstract bool HighBits { get; }
}

internal struct Q4_KKind : IKQuantKind
{
    public static bool HighBits => false;
}

internal struct Q5_KKind : IKQuantKind
{
    public static bool HighBits => true;
}
