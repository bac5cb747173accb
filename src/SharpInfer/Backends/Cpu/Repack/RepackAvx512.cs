using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// AVX-512 twins of <see cref="RepackScalar"/>: one register holds a chunk of all eight rows. AVX-512
/// has no byte sign instruction, so Q4_0 multiplies the unsigned nibble q and subtracts 8·Σa (once per
/// activation block, <see cref="NibbleBias"/>), and Q8_0 widens to 16 bits; both keep the integer sums
/// exact and the float step identical to scalar (the scales converted exactly, vector-wise).
/// </summary>
internal static unsafe class RepackAvx512
{
    private static readonly Vector256<int> RowOrderPairs = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);
    private static readonly Vector256<int> RowOrderQuads = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Broadcast8(byte* p) => Vector512.Create(*(long*)p).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<int> sumi, byte* d, float da, bool scalesFirst) =>
        Accumulate(acc, sumi, Simd256.LoadHalves(d), da, scalesFirst);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<int> sumi, Vector256<float> scales, float da, bool scalesFirst)
    {
        var s = Avx.ConvertToVector256Single(sumi);
        var term = scalesFirst
            ? Avx.Multiply(s, Avx.Multiply(scales, Vector256.Create(da)))
            : Avx.Multiply(Avx.Multiply(s, scales), Vector256.Create(da));
        return Avx.Add(acc, term);
    }

    /// <summary>
    /// 8·Σa of every activation block: what the unsigned nibbles q = s + 8 add to Σ s·a, the same for every group of
    /// rows, so a product computes it once per activation row rather than once per group.
    /// </summary>
    public static void NibbleBias(byte* a, int nb, int* bias)
    {
        for (int b = 0; b < nb; b++)
        {
            sbyte* aq = (sbyte*)(a + b * 34 + 2);
            int sum = 0;
            for (int i = 0; i < 32; i++) sum += aq[i];
            bias[b] = 8 * sum;
        }
    }

    /// <summary>The packed bytes with 0x88 undone: both nibbles of every byte unsigned (q = s + 8, 0…15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> UnsignedNibbles(byte* p) => Avx512F.LoadVector512(p) ^ Vector512.Create((byte)0x88);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lo(Vector512<byte> q) => q & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Hi(Vector512<byte> q) => Lo(Avx512BW.ShiftRightLogical(q.AsUInt16(), 4).AsByte());

    /// <summary>
    /// Σ (q − 8)·a per row and block as Σ q·a − 8·Σa (<paramref name="bias"/> from <see cref="NibbleBias"/>): exact
    /// integers, then the scalar twin's float step.
    /// </summary>
    public static void GroupQ4_0(byte* w, byte* a, int* bias, int nb, float* out8)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            byte* ab = a + b * 34;
            var q0 = UnsignedNibbles(blk + 16);  // rows 0-7, quant bytes 0..7
            var q1 = UnsignedNibbles(blk + 80);  // rows 0-7, quant bytes 8..15
            acc = Q4_0Act(acc, Lo(q0), Hi(q0), Lo(q1), Hi(q1), Simd256.LoadHalves(blk), ab, bias[b]);
        }
        Avx.Store(out8, acc);
    }

    /// <summary>
    /// <see cref="GroupQ4_0(byte*, byte*, int*, int, float*)"/> for 4 activation rows (a + t·aStride → out8 + t·outStride,
    /// their biases nb apart): each packed block is loaded, unpacked and its scales converted once for the four; every
    /// row's arithmetic is GroupQ4_0's, bit for bit.
    /// </summary>
    public static void GroupQ4_0x4(byte* w, byte* a, nint aStride, int* bias, int nb, float* out8, nint outStride)
    {
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            var q0 = UnsignedNibbles(blk + 16);
            var q1 = UnsignedNibbles(blk + 80);
            var lo0 = Lo(q0); var hi0 = Hi(q0); var lo1 = Lo(q1); var hi1 = Hi(q1);
            var scales = Simd256.LoadHalves(blk);
            acc0 = Q4_0Act(acc0, lo0, hi0, lo1, hi1, scales, a + b * 34, bias[b]);
            acc1 = Q4_0Act(acc1, lo0, hi0, lo1, hi1, scales, a + aStride + b * 34, bias[nb + b]);
            acc2 = Q4_0Act(acc2, lo0, hi0, lo1, hi1, scales, a + 2 * aStride + b * 34, bias[2 * nb + b]);
            acc3 = Q4_0Act(acc3, lo0, hi0, lo1, hi1, scales, a + 3 * aStride + b * 34, bias[3 * nb + b]);
        }
        Avx.Store(out8, acc0); Avx.Store(out8 + outStride, acc1); Avx.Store(out8 + 2 * outStride, acc2); Avx.Store(out8 + 3 * outStride, acc3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4_0Act(Vector256<float> acc, Vector512<byte> lo0, Vector512<byte> hi0, Vector512<byte> lo1, Vector512<byte> hi1,
                                            Vector256<float> scales, byte* ab, int bias)
    {
        byte* aq = ab + 2;
        var s = Avx512BW.Add(
            Avx512BW.Add(Avx512BW.MultiplyAddAdjacent(lo0, Broadcast8(aq)), Avx512BW.MultiplyAddAdjacent(hi0, Broadcast8(aq + 16))),
            Avx512BW.Add(Avx512BW.MultiplyAddAdjacent(lo1, Broadcast8(aq + 8)), Avx512BW.MultiplyAddAdjacent(hi1, Broadcast8(aq + 24))));
        var pairs = Avx512BW.MultiplyAddAdjacent(s, Vector512.Create((short)1)); // two ints per row, rows in order
        var sumi = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(pairs.GetLower(), pairs.GetUpper()), RowOrderPairs) - Vector256.Create(bias);
        return Accumulate(acc, sumi, scales, HalfTable.ToFloat(ab), scalesFirst: false);
    }

    public static void GroupQ8_0(byte* w, byte* a, int nb, float* out8)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 272;
            byte* ab = a + b * 34;
            var q03 = Vector512<int>.Zero; // four ints per row, rows 0-3
            var q47 = Vector512<int>.Zero;
            for (int k = 0; k < 4; k++)
            {
                var ak = Avx512BW.ConvertToVector512Int16(Vector256.Create(*(long*)(ab + 2 + 8 * k)).AsSByte());
                var w03 = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 16 + 64 * k)));
                var w47 = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 48 + 64 * k)));
                q03 = Avx512F.Add(q03, Avx512BW.MultiplyAddAdjacent(w03, ak));
                q47 = Avx512F.Add(q47, Avx512BW.MultiplyAddAdjacent(w47, ak));
            }
            // rows 0,1 | 2,3 | 4,5 | 6,7 as four ints each → two hadd rounds → [r0,r2,r4,r6,r1,r3,r5,r7]
            var h1 = Avx2.HorizontalAdd(q03.GetLower(), q03.GetUpper());
            var h2 = Avx2.HorizontalAdd(q47.GetLower(), q47.GetUpper());
            var sumi = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(h1, h2), RowOrderQuads);
            acc = Accumulate(acc, sumi, blk, HalfTable.ToFloat(ab), scalesFirst: true);
        }
        Avx.Store(out8, acc);
    }

    /// <summary><see cref="GroupQ8_0"/> for 4 activation rows, each packed block widened once for the four (same bits per row).</summary>
    public static void GroupQ8_0x4(byte* w, byte* a, nint aStride, int nb, float* out8, nint outStride)
    {
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 272;
            var w03a = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 16)));
            var w47a = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 48)));
            var w03b = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 80)));
            var w47b = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 112)));
            var w03c = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 144)));
            var w47c = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 176)));
            var w03d = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 208)));
            var w47d = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256((sbyte*)(blk + 240)));
            var scales = Simd256.LoadHalves(blk);
            acc0 = Q8_0Act(acc0, w03a, w47a, w03b, w47b, w03c, w47c, w03d, w47d, scales, a + b * 34);
            acc1 = Q8_0Act(acc1, w03a, w47a, w03b, w47b, w03c, w47c, w03d, w47d, scales, a + aStride + b * 34);
            acc2 = Q8_0Act(acc2, w03a, w47a, w03b, w47b, w03c, w47c, w03d, w47d, scales, a + 2 * aStride + b * 34);
            acc3 = Q8_0Act(acc3, w03a, w47a, w03b, w47b, w03c, w47c, w03d, w47d, scales, a + 3 * aStride + b * 34);
        }
        Avx.Store(out8, acc0); Avx.Store(out8 + outStride, acc1); Avx.Store(out8 + 2 * outStride, acc2); Avx.Store(out8 + 3 * outStride, acc3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8_0Act(Vector256<float> acc, Vector512<short> w03a, Vector512<short> w47a, Vector512<short> w03b, Vector512<short> w47b,
                                            Vector512<short> w03c, Vector512<short> w47c, Vector512<short> w03d, Vector512<short> w47d,
                                            Vector256<float> scales, byte* ab)
    {
        var a0 = Avx512BW.ConvertToVector512Int16(Vector256.Create(*(long*)(ab + 2)).AsSByte());
        var a1 = Avx512BW.ConvertToVector512Int16(Vector256.Create(*(long*)(ab + 10)).AsSByte());
        var a2 = Avx512BW.ConvertToVector512Int16(Vector256.Create(*(long*)(ab + 18)).AsSByte());
        var a3 = Avx512BW.ConvertToVector512Int16(Vector256.Create(*(long*)(ab + 26)).AsSByte());
        // the same additions in the same order as GroupQ8_0's k loop
        var q03 = Avx512F.Add(Vector512<int>.Zero, Avx512BW.MultiplyAddAdjacent(w03a, a0));
        var q47 = Avx512F.Add(Vector512<int>.Zero, Avx512BW.MultiplyAddAdjacent(w47a, a0));
        q03 = Avx512F.Add(q03, Avx512BW.MultiplyAddAdjacent(w03b, a1));
        q47 = Avx512F.Add(q47, Avx512BW.MultiplyAddAdjacent(w47b, a1));
        q03 = Avx512F.Add(q03, Avx512BW.MultiplyAddAdjacent(w03c, a2));
        q47 = Avx512F.Add(q47, Avx512BW.MultiplyAddAdjacent(w47c, a2));
        q03 = Avx512F.Add(q03, Avx512BW.MultiplyAddAdjacent(w03d, a3));
        q47 = Avx512F.Add(q47, Avx512BW.MultiplyAddAdjacent(w47d, a3));
        var h1 = Avx2.HorizontalAdd(q03.GetLower(), q03.GetUpper());
        var h2 = Avx2.HorizontalAdd(q47.GetLower(), q47.GetUpper());
        var sumi = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(h1, h2), RowOrderQuads);
        return Accumulate(acc, sumi, scales, HalfTable.ToFloat(ab), scalesFirst: true);
    }
}
