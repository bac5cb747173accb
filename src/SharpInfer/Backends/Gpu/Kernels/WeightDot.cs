using ILGPU;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>
/// Weight rows (in the file's block format) dotted with float activation rows inside a kernel, cut
/// into slots: a slot is the few elements one thread takes per step (one byte of quants and the
/// activations it multiplies), numbered so that consecutive threads read consecutive weight bytes
/// and consecutive activations (coalesced loads). A group of threads walks a row slot by slot and
/// sums its partial results. The blocks are decoded as ggml's dequantize_row_* does; the activations
/// arrive already rounded to ggml's vec_dot type (<see cref="ActivationRounding"/>).
/// </summary>
internal static class WeightDot
{
    // ggml type ids (GgmlType), repeated as constants because kernels cannot call into managed enums' helpers.
    public const int F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q5_K = 13, Q6_K = 14, BF16 = 30;

    public static bool IsDirect(int type) =>
        type is F32 or F16 or BF16 or Q4_0 or Q8_0 or Q4_K or Q5_K or Q6_K;

    /// <summary>Slots in a row of <paramref name="k"/> elements (host side).</summary>
    public static int SlotsPerRow(int type, int k) => type switch
    {
        Q4_0 or Q8_0 => k / 32 * 16,   // one quant byte position j of 16, elements j and j + 16
        Q4_K or Q5_K => k / 256 * 128, // sub-block pair j of 4, lane l of 32: elements 64j + l and 64j + 32 + l
        Q6_K => k / 256 * 64,          // half of 2, lane l of 32: elements 128h + l + {0, 32, 64, 96}
        _ => k,                        // one element
    };

    /// <summary>
    /// Slots first, first + step, … below <paramref name="slots"/> of the row dotted with x[xo…]. The
    /// type is dispatched once, outside the loop, and the loop takes four slots per step: their loads
    /// are independent and in flight together (a thread's loads, not the bandwidth, bound one token).
    /// </summary>
    public static float Row(int type, ArrayView<byte> w, long row, int first, int step, int slots, ArrayView<float> x, long xo)
    {
        switch (type)
        {
            case F32: return Row<F32Slots>(w, row, first, step, slots, x, xo);
            case F16: return Row<F16Slots>(w, row, first, step, slots, x, xo);
            case BF16: return Row<BF16Slots>(w, row, first, step, slots, x, xo);
            case Q4_0: return Row<Q4_0Slots>(w, row, first, step, slots, x, xo);
            case Q8_0: return Row<Q8_0Slots>(w, row, first, step, slots, x, xo);
            case Q4_K: return Row<Q4_KSlots>(w, row, first, step, slots, x, xo);
            case Q5_K: return Row<Q5_KSlots>(w, row, first, step, slots, x, xo);
            default: return Row<Q6_KSlots>(w, row, first, step, slots, x, xo);
        }
    }

    private static float Row<TSlots>(ArrayView<byte> w, long row, int first, int step, int slots, ArrayView<float> x, long xo)
        where TSlots : struct, ISlotDecoder
    {
        TSlots f = default;
        float s0 = 0, s1 = 0;
        int i = first;
        for (; i + 3 * step < slots; i += 4 * step)
        {
            float a = f.Decode(w, row, i).Dot(x, xo);
            float b = f.Decode(w, row, i + step).Dot(x, xo);
            float c = f.Decode(w, row, i + 2 * step).Dot(x, xo);
            float d = f.Decode(w, row, i + 3 * step).Dot(x, xo);
            s0 += a + b;
            s1 += c + d;
        }
        for (; i < slots; i += step) s0 += f.Decode(w, row, i).Dot(x, xo);
        return s0 + s1;
    }

    /// <summary>
    /// <see cref="Row(int, ArrayView{byte}, long, int, int, int, ArrayView{float}, long)"/> for the
    /// <see cref="TileSums.Tokens"/> activation rows from x[x0…] (rows k apart; <paramref name="nt"/>
    /// of them real, the others read row x0 again and are dropped by the caller): each slot decoded
    /// once, dotted once per token.
    /// </summary>
    public static TileSums RowTile(int type, ArrayView<byte> w, long row, int first, int step, int slots, ArrayView<float> x, long x0, int k, int nt)
    {
        switch (type)
        {
            case F32: return RowTile<F32Slots>(w, row, first, step, slots, x, x0, k, nt);
            case F16: return RowTile<F16Slots>(w, row, first, step, slots, x, x0, k, nt);
            case BF16: return RowTile<BF16Slots>(w, row, first, step, slots, x, x0, k, nt);
            case Q4_0: return RowTile<Q4_0Slots>(w, row, first, step, slots, x, x0, k, nt);
            case Q8_0: return RowTile<Q8_0Slots>(w, row, first, step, slots, x, x0, k, nt);
            case Q4_K: return RowTile<Q4_KSlots>(w, row, first, step, slots, x, x0, k, nt);
            case Q5_K: return RowTile<Q5_KSlots>(w, row, first, step, slots, x, x0, k, nt);
            default: return RowTile<Q6_KSlots>(w, row, first, step, slots, x, x0, k, nt);
        }
    }

    private static TileSums RowTile<TSlots>(ArrayView<byte> w, long row, int first, int step, int slots, ArrayView<float> x, long x0, int k, int nt)
        where TSlots : struct, ISlotDecoder
    {
        TSlots f = default;
        long o1 = nt > 1 ? x0 + k : x0, o2 = nt > 2 ? x0 + 2L * k : x0, o3 = nt > 3 ? x0 + 3L * k : x0;
        long o4 = nt > 4 ? x0 + 4L * k : x0, o5 = nt > 5 ? x0 + 5L * k : x0, o6 = nt > 6 ? x0 + 6L * k : x0, o7 = nt > 7 ? x0 + 7L * k : x0;
        var t = default(TileSums);
        for (int i = first; i < slots; i += step)
        {
            var sw = f.Decode(w, row, i);
            t.S0 += sw.Dot(x, x0);
            t.S1 += sw.Dot(x, o1);
            t.S2 += sw.Dot(x, o2);
            t.S3 += sw.Dot(x, o3);
            t.S4 += sw.Dot(x, o4);
            t.S5 += sw.Dot(x, o5);
            t.S6 += sw.Dot(x, o6);
            t.S7 += sw.Dot(x, o7);
        }
        return t;
    }

    private interface ISlotDecoder
    {
        SlotWeights Decode(ArrayView<byte> w, long row, int i);
    }

    private struct F32Slots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotWeights.One(i, SlotF32(w, row, i)); }
    private struct F16Slots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotWeights.One(i, DeviceMath.HalfToFloat(U16(w, row + 2L * i))); }
    private struct BF16Slots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotWeights.One(i, DeviceMath.BFloat16ToFloat(U16(w, row + 2L * i))); }
    private struct Q4_0Slots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotQ4_0(w, row, i); }
    private struct Q8_0Slots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotQ8_0(w, row, i); }
    private struct Q4_KSlots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotQ4_K(w, row, i); }
    private struct Q5_KSlots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotQ5_K(w, row, i); }
    private struct Q6_KSlots : ISlotDecoder { public readonly SlotWeights Decode(ArrayView<byte> w, long row, int i) => SlotQ6_K(w, row, i); }

    private static uint U16(ArrayView<byte> w, long o) => (uint)w[o] | ((uint)w[o + 1] << 8);

    private static float SlotF32(ArrayView<byte> w, long o, int i)
    {
        long b = o + 4L * i;
        uint bits = (uint)w[b] | ((uint)w[b + 1] << 8) | ((uint)w[b + 2] << 16) | ((uint)w[b + 3] << 24);
        return Interop.IntAsFloat(bits);
    }

    // block_q4_0: f16 d, 16 bytes of nibbles; element j = low nibble of qs[j] − 8, element j+16 = high nibble − 8.
    private static SlotWeights SlotQ4_0(ArrayView<byte> w, long o, int i)
    {
        int b = i >> 4, j = i & 15;
        long bo = o + 18L * b;
        float d = DeviceMath.HalfToFloat(U16(w, bo));
        int q = w[bo + 2 + j];
        return SlotWeights.Two(32 * b + j, 16, d * ((q & 0xF) - 8), d * ((q >> 4) - 8));
    }

    // block_q8_0: f16 d, 32 signed bytes.
    private static SlotWeights SlotQ8_0(ArrayView<byte> w, long o, int i)
    {
        int b = i >> 4, j = i & 15;
        long bo = o + 34L * b;
        float d = DeviceMath.HalfToFloat(U16(w, bo));
        return SlotWeights.Two(32 * b + j, 16, d * (sbyte)w[bo + 2 + j], d * (sbyte)w[bo + 18 + j]);
    }

    // get_scale_min_k4: 6-bit scale and min j (0..7) of a Q4_K/Q5_K super-block's 12 scale bytes at so.
    private static int Scale6(ArrayView<byte> w, long so, int j) =>
        j < 4 ? w[so + j] & 63 : (w[so + j + 4] & 0xF) | ((w[so + j - 4] >> 6) << 4);

    private static int Min6(ArrayView<byte> w, long so, int j) =>
        j < 4 ? w[so + j + 4] & 63 : (w[so + j + 4] >> 4) | ((w[so + j] >> 6) << 4);

    /// <summary>
    /// Q4_K's and Q5_K's sub-block pair 2j, 2j+1 of the super-block at <c>bo</c> (f16 d, f16 dmin, then 12 bytes of
    /// 6-bit scales and mins): scale·d and min·dmin of each.
    /// </summary>
    private struct KScales
    {
        public float D1, M1, D2, M2;

        public static KScales Of(ArrayView<byte> w, long bo, int j)
        {
            float d = DeviceMath.HalfToFloat(U16(w, bo));
            float dmin = DeviceMath.HalfToFloat(U16(w, bo + 2));
            long so = bo + 4;
            return new KScales
            {
                D1 = d * Scale6(w, so, 2 * j), M1 = dmin * Min6(w, so, 2 * j),
                D2 = d * Scale6(w, so, 2 * j + 1), M2 = dmin * Min6(w, so, 2 * j + 1),
            };
        }
    }

    // block_q4_K (144 bytes): f16 d, f16 dmin, 12 scale bytes, 128 bytes of nibbles.
    private static SlotWeights SlotQ4_K(ArrayView<byte> w, long o, int i)
    {
        int b = i >> 7, j = (i >> 5) & 3, l = i & 31;
        long bo = o + 144L * b;
        var q = KScales.Of(w, bo, j);
        int v = w[bo + 16 + 32L * j + l];
        return SlotWeights.Two(256 * b + 64 * j + l, 32, q.D1 * (v & 0xF) - q.M1, q.D2 * (v >> 4) - q.M2);
    }

    // block_q5_K (176 bytes): f16 d, f16 dmin, 12 scale bytes, 32 bytes of high bits, 128 bytes of nibbles.
    private static SlotWeights SlotQ5_K(ArrayView<byte> w, long o, int i)
    {
        int b = i >> 7, j = (i >> 5) & 3, l = i & 31;
        long bo = o + 176L * b;
        var q = KScales.Of(w, bo, j);
        int u1 = 1 << (2 * j), u2 = 2 << (2 * j);
        int v = w[bo + 48 + 32L * j + l];
        int h = w[bo + 16 + l];
        int lo = (v & 0xF) + ((h & u1) != 0 ? 16 : 0);
        int hi = (v >> 4) + ((h & u2) != 0 ? 16 : 0);
        return SlotWeights.Two(256 * b + 64 * j + l, 32, q.D1 * lo - q.M1, q.D2 * hi - q.M2);
    }

    // block_q6_K (210 bytes): 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 signed scales, f16 d.
    private static SlotWeights SlotQ6_K(ArrayView<byte> w, long o, int i)
    {
        int b = i >> 6, half = (i >> 5) & 1, l = i & 31;
        long bo = o + 210L * b;
        float d = DeviceMath.HalfToFloat(U16(w, bo + 208));
        long ql = bo + 64L * half, qh = bo + 128 + 32L * half, sc = bo + 192 + 8L * half + l / 16;
        int lo = w[ql + l], lo2 = w[ql + l + 32], h = w[qh + l];
        int q1 = ((lo & 0xF) | (((h >> 0) & 3) << 4)) - 32;
        int q2 = ((lo2 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
        int q3 = ((lo >> 4) | (((h >> 4) & 3) << 4)) - 32;
        int q4 = ((lo2 >> 4) | (((h >> 6) & 3) << 4)) - 32;
        return new SlotWeights
        {
            E = 256 * b + 128 * half + l, Stride = 32, Count = 4,
            W0 = d * (sbyte)w[sc] * q1, W1 = d * (sbyte)w[sc + 2] * q2, W2 = d * (sbyte)w[sc + 4] * q3, W3 = d * (sbyte)w[sc + 6] * q4,
        };
    }
}

/// <summary>Partial sums, one per activation row of a token tile.</summary>
internal struct TileSums
{
    /// <summary>Tokens per tile.</summary>
    public const int Tokens = 8;

    public float S0, S1, S2, S3, S4, S5, S6, S7;
}

/// <summary>
/// A slot's decoded weights: Count (1, 2 or 4) weights for the elements E, E + Stride, … of the row.
/// </summary>
internal struct SlotWeights
{
    public float W0, W1, W2, W3;
    public int E, Stride, Count;

    public static SlotWeights One(int e, float w0) => new() { E = e, Stride = 1, Count = 1, W0 = w0 };

    public static SlotWeights Two(int e, int stride, float w0, float w1) => new() { E = e, Stride = stride, Count = 2, W0 = w0, W1 = w1 };

    /// <summary>These weights dotted with the activation row at x[xo…].</summary>
    public readonly float Dot(ArrayView<float> x, long xo)
    {
        long e = xo + E;
        float s = W0 * x[e];
        if (Count > 1) s += W1 * x[e + Stride];
        if (Count > 2) s += W2 * x[e + 2 * Stride] + W3 * x[e + 3 * Stride];
        return s;
    }
}
