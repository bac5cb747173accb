using SharpInfer.Platform.X64;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// Emits the generation kernel for Q8_0 and Q4_0 weights on CPUs with AVX512_VNNI: 4 weight rows against one Q8_0
/// activation row, as <see cref="VnniTileKernel"/>'s column form, with fewer vector operations. Every accumulator lane
/// does exactly what a lane of ggml's AVX2 vec_dot does — per block the int32 dot of 4 values (from −c·Σy, see
/// <see cref="ActivationSide"/>), converted to float and FMA'd with d_w·d_y — so the outputs keep their bits. From the
/// cache a token's products are bound by the vector units (four operations per cycle on Zen 4), and the 4-row form
/// spends 11 per row and block on Q4_0 (8 on Q8_0); this one about 7 (6–7). Here:
/// <list type="bullet">
/// <item>the 4 rows' d_w are gathered through general-purpose registers, converted and multiplied by d_y once per
/// block (one VPERMPS then gives a row, or a pair of rows, its product) instead of a conversion, a broadcast and a
/// multiply per row;</item>
/// <item>Q4_0 works on pairs of rows: one register holds both rows' 16 nibble bytes, so one mask gives both rows'
/// values 0–15 and one shift and mask both rows' values 16–31 (each row's lanes 0–3 in one accumulator, lanes 4–7 in
/// another; <see cref="VnniTiles.PairColumns"/> puts each row's 8 lanes back together before the sum).</item>
/// </list>
/// One Zen 4 core, 256 rows of 2048 from L2 (kernels bench gemv): Q4_0 40 against 34–36 GMAC/s, Q8_0 41–42 against
/// 37–38. Generation from DRAM on the 2-core EPYC is bound by streaming and gained little (llama-1b equal within noise,
/// qwen2-0.5b Q4_0 about +5%); an 8-row form was faster still from cache but slower from DRAM (eight row streams).
/// </summary>
internal static class VnniPairColumnKernel
{
    public const int Rows = 4;

    // Vector registers. Both: the 4 products d_w·d_y 6, the current row's (or pair's) 7, constant 8, accumulators 16–19,
    // VPERMPS indexes from 24. Q4_0: pair bytes 9, values 0–15 10, values 16–31 11, −c·Σy lanes 0–3 / 4–7 (both
    // halves) 12 / 13, activation values 0–15 / 16–31 (both halves) 14 / 15, t 4 and 5; pair p's lanes 0–3 in
    // accumulator 16 + 2p, its lanes 4–7 in 17 + 2p. Q8_0: u 9, −c·Σy 12, activation bytes 14, t 4; row r in 16 + r.
    private const int Products = 6, Scale = 7, Const = 8, Bytes = 9, Low = 10, High = 11, NegSumLow = 12, NegSumHigh = 13,
        YLow = 14, YHigh = 15, T = 4, T2 = 5, AccBase = 16, IndexBase = 24;

    public static bool Supports(GgmlType t) => t is GgmlType.Q8_0 or GgmlType.Q4_0;

    /// <summary>
    /// The kernel for <paramref name="weightType"/> in the calling convention <paramref name="abi"/>; it reads
    /// <see cref="VnniTileArgs"/> (no activation or side stride) and writes 4 accumulators of 8 floats (layout above).
    /// </summary>
    public static byte[] Emit(GgmlType weightType, X64Abi abi)
    {
        int blockBytes = weightType switch
        {
            GgmlType.Q8_0 => 34,
            GgmlType.Q4_0 => 18,
            _ => throw new ArgumentException($"no VNNI pair column kernel for {weightType}"),
        };
        bool q4 = weightType == GgmlType.Q4_0;
        var e = new X64Emitter();
        Reg x = Reg.Rax, xs = Reg.Rbx, xs3 = Reg.Rcx, y = Reg.Rsi, side = Reg.R8, count = Reg.R9,
            args = Reg.R10, next = Reg.R11, scratch = Reg.R12, halves = Reg.R13, half = Reg.R14;
        var saved = abi.Prologue(e, [x, xs, xs3, y, side, count, args, next, scratch, halves, half], X64Abi.AllVectors);
        e.Mov(args, abi.IntArgs[0]);
        e.LoadFields(args, (x, VnniTileArgs.WeightsOffset), (xs, VnniTileArgs.WeightStrideOffset),
            (y, VnniTileArgs.ActivationsOffset), (side, VnniTileArgs.SideOffset), (count, VnniTileArgs.BlocksOffset));
        e.ImulImm(xs3, xs, 3);
        for (int a = 0; a < Rows; a++) e.Vpxord(AccBase + a, AccBase + a, AccBase + a);
        e.MovImm32(scratch, q4 ? 0x0F0F0F0F : unchecked((int)0x80808080));
        e.Vpbroadcastd(Const, scratch);
        if (q4)
        {
            for (int p = 0; p < Rows / 2; p++)
            {
                // [2p ×4 | 2p+1 ×4]: the pair's two products, each across its row's half of the register
                e.MovImm32(scratch, 2 * p);
                e.Vpbroadcastd(T, scratch);
                e.MovImm32(scratch, 2 * p + 1);
                e.Vpbroadcastd(T2, scratch);
                e.Vinserti32x4(IndexBase + p, T, T2, 1);
            }
        }
        else
        {
            for (int r = 0; r < Rows; r++)
            {
                e.MovImm32(scratch, r);
                e.Vpbroadcastd(IndexBase + r, scratch);
            }
        }

        // Generation streams weights from memory: a region ahead (VnniTileArgs.PrefetchDistance, whole groups of 4 rows)
        // is prefetched in order into L2, as many lines per block step as the 4 rows consume. One Zen 4 core, llama-1b
        // Q4_0 tg (alternated runs): 25.5 t/s against 22.9 for prefetcht0 of the next 4 rows.
        var rows = new RowLoop(e, x, xs, xs3, next, count);
        rows.Begin(args);
        Mem Row(int r, int disp) => rows.Row(r, disp);
        // the 4 rows' d_w as one qword (row 0 lowest) through general-purpose registers, then one conversion
        e.Movzx16(halves, Row(3, 0));
        e.ShlImm(halves, 16, wide: false);
        e.Movzx16(half, Row(2, 0));
        e.Or(halves, half, wide: false);
        e.ShlImm(halves, 32);
        e.Movzx16(half, Row(1, 0));
        e.ShlImm(half, 16, wide: false);
        e.Or(halves, half);
        e.Movzx16(half, Row(0, 0));
        e.Or(halves, half);
        e.Vmovq(Products, halves);
        e.Vcvtph2ps(Products, Products, VecWidth.Y);
        e.VmulpsBroadcast(Products, Products, Mem.At(side, ActivationSide.ScaleOffset));
        if (q4)
        {
            e.Vbroadcasti32x4(NegSumLow, Mem.At(side));
            e.Vbroadcasti32x4(NegSumHigh, Mem.At(side, 16));
            e.Vbroadcasti32x4(YLow, Mem.At(y, 2));
            e.Vbroadcasti32x4(YHigh, Mem.At(y, 18));
            for (int p = 0; p < Rows / 2; p++)
            {
                e.Vmovdqu32(Bytes, Row(2 * p, 2), VecWidth.X);
                e.Vinserti32x4(Bytes, Bytes, Row(2 * p + 1, 2), 1);
                e.Vpandd(Low, Bytes, Const);
                e.Vpsrlw(High, Bytes, 4);
                e.Vpandd(High, High, Const);
                e.Vpermps(Scale, IndexBase + p, Products);
                e.Vmovdqa32(T, NegSumLow);
                e.Vpdpbusd(T, Low, YLow);
                e.Vcvtdq2ps(T, T);
                e.Vfmadd231ps(AccBase + 2 * p, T, Scale);
                e.Vmovdqa32(T2, NegSumHigh);
                e.Vpdpbusd(T2, High, YHigh);
                e.Vcvtdq2ps(T2, T2);
                e.Vfmadd231ps(AccBase + 2 * p + 1, T2, Scale);
            }
        }
        else
        {
            e.Vmovdqu32(NegSumLow, Mem.At(side));
            e.Vmovdqu32(YLow, Mem.At(y, 2));
            for (int r = 0; r < Rows; r++)
            {
                e.Vpxord(Bytes, Const, Row(r, 2));                       // u = w ^ 0x80 = w + 128
                e.Vpermps(Scale, IndexBase + r, Products);
                e.Vmovdqa32(T, NegSumLow);
                e.Vpdpbusd(T, Bytes, YLow);
                e.Vcvtdq2ps(T, T);
                e.Vfmadd231ps(AccBase + r, T, Scale);
            }
        }
        e.AddImm(x, blockBytes);
        e.AddImm(y, 34);
        e.AddImm(side, ActivationSide.RecordBytes);
        rows.End(Rows * blockBytes);
        e.Load(x, Mem.At(args, VnniTileArgs.AccumulatorsOffset));
        for (int a = 0; a < Rows; a++) e.Vmovdqu32(Mem.At(x, 32 * a), AccBase + a);
        e.Vzeroupper();
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }
}
