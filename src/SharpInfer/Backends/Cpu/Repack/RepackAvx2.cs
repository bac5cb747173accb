using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// AVX2 twins of <see cref="RepackScalar"/>. Integer sums per row and block are exact, and the float
/// step is the same multiply-multiply-add per lane (no fused multiply-add), so results equal the
/// scalar ones bit for bit. Activation quants must lie in [−127, 127], as ggml's Q8_0 quantizer makes them.
/// </summary>
internal static unsafe class RepackAvx2
{
    // hadd of (rows 0-3 pairs, rows 4-7 pairs) yields rows [0,1,4,5,2,3,6,7]; this puts them back in order.
    private static readonly Vector256<int> RowOrder = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Dot(Vector256<sbyte> w, Vector256<sbyte> a) =>
        Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(a, w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast8(byte* p) => Vector256.Create(*(long*)p).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(byte* d) => Simd256.LoadHalves(d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<int> rows0123, Vector256<int> rows4567, byte* d, float da, bool scalesFirst)
    {
        var sumi = Avx.ConvertToVector256Single(Avx2.PermuteVar8x32(Avx2.HorizontalAdd(rows0123, rows4567), RowOrder));
        var term = scalesFirst
            ? Avx.Multiply(sumi, Avx.Multiply(Scales(d), Vector256.Create(da)))   // sumi * (d_w * d_a): Q8_0
            : Avx.Multiply(Avx.Multiply(sumi, Scales(d)), Vector256.Create(da));  // sumi * d_w * d_a: Q4_0
        return Avx.Add(acc, term);
    }

    // packed nibble p holds q ^ 8; (p ^ 8) - 8 = q - 8, the signed weight
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Lo(Vector256<byte> v) =>
        Avx2.Subtract(Avx2.Xor(Avx2.And(v, Vector256.Create((byte)0x0F)), Vector256.Create((byte)8)).AsSByte(), Vector256.Create((sbyte)8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Hi(Vector256<byte> v) => Lo(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte());

    public static void GroupQ4_0(byte* w, byte* a, int nb, float* out8)
    {
        var ones = Vector256.Create((short)1);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144;
            byte* ab = a + b * 34;
            byte* aq = ab + 2;
            var aLo0 = Broadcast8(aq);
            var aLo1 = Broadcast8(aq + 8);
            var aHi0 = Broadcast8(aq + 16);
            var aHi1 = Broadcast8(aq + 24);
            var b0 = Avx.LoadVector256(blk + 16);   // rows 0-3, quant bytes 0..7
            var b1 = Avx.LoadVector256(blk + 48);   // rows 4-7, quant bytes 0..7
            var b2 = Avx.LoadVector256(blk + 80);   // rows 0-3, quant bytes 8..15
            var b3 = Avx.LoadVector256(blk + 112);  // rows 4-7, quant bytes 8..15
            var s03 = Avx2.Add(Avx2.Add(Dot(Lo(b0), aLo0), Dot(Hi(b0), aHi0)), Avx2.Add(Dot(Lo(b2), aLo1), Dot(Hi(b2), aHi1)));
            var s47 = Avx2.Add(Avx2.Add(Dot(Lo(b1), aLo0), Dot(Hi(b1), aHi0)), Avx2.Add(Dot(Lo(b3), aLo1), Dot(Hi(b3), aHi1)));
            acc = Accumulate(acc, Avx2.MultiplyAddAdjacent(s03, ones), Avx2.MultiplyAddAdjacent(s47, ones), blk, HalfTable.ToFloat(ab), scalesFirst: false);
        }
        Avx.Store(out8, acc);
    }

    public static void GroupQ8_0(byte* w, byte* a, int nb, float* out8)
    {
        var ones = Vector256.Create((short)1);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 272;
            byte* ab = a + b * 34;
            var p03 = Vector256<int>.Zero;
            var p47 = Vector256<int>.Zero;
            for (int k = 0; k < 4; k++)
            {
                var ak = Broadcast8(ab + 2 + 8 * k);
                var w03 = Avx.LoadVector256((sbyte*)(blk + 16 + 64 * k));
                var w47 = Avx.LoadVector256((sbyte*)(blk + 48 + 64 * k));
                // pairs reach 2*128*127 = 32512: fits a short, but four of them would not, so widen per k
                p03 = Avx2.Add(p03, Avx2.MultiplyAddAdjacent(Dot(w03, ak), ones));
                p47 = Avx2.Add(p47, Avx2.MultiplyAddAdjacent(Dot(w47, ak), ones));
            }
            acc = Accumulate(acc, p03, p47, blk, HalfTable.ToFloat(ab), scalesFirst: true);
        }
        Avx.Store(out8, acc);
    }
}
