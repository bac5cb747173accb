using SharpInfer.Platform.X64;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// Emits the prompt-processing micro-kernel for Q8_0, Q4_0 and Q5_0 weights on CPUs with AVX512_VNNI (VPDPBUSD on 256-bit
/// registers), which .NET 10 does not expose as an intrinsic. One call multiplies 4 weight rows by 4 (or 1) Q8_0
/// activation rows over all blocks, holding the 16 accumulators in ymm16–31. Per block and pair it does exactly what ggml's AVX2
/// vec_dot does, so the float results are bit-identical: the block's integer dot in 8 int32 lanes (lane k = values
/// 4k..4k+3; VPDPBUSD on u = w + c starting from −c·Σy, see <see cref="ActivationSide"/>), converted to float, and
/// FMA'd with d_w·d_y into 8 float lanes. The caller sums each accumulator's lanes as ggml's hsum_float_8 does.
/// </summary>
internal static class VnniTileKernel
{
    public const int Rows = 4;

    // Vector registers: u_i (weight bytes made unsigned) 0–3, d_w broadcasts 4–7, constant 8, t 9, s 10,
    // scratch 11–12, the current activation row's −c·Σy lanes 13 and its bytes 14, Q5_0's 0x10 bytes 15 (opmask k1
    // holds its fifth bits); accumulator (i, j) = 16 + 4i + j.
    private const int Const = 8, T = 9, S = 10, Scratch = 11, Scratch2 = 12, NegSum = 13, YBytes = 14, FifthBit = 15;

    /// <summary>The kernel for <paramref name="weightType"/> in the calling convention <paramref name="abi"/>; <paramref name="activationRows"/> is 4 (prompt tiles) or 1 (generation: 4 weight rows against one activation row).</summary>
    public static byte[] Emit(GgmlType weightType, X64Abi abi, int activationRows = Rows)
    {
        int blockBytes = weightType switch
        {
            GgmlType.Q8_0 => 34,
            GgmlType.Q4_0 => 18,
            GgmlType.Q5_0 => 22,
            _ => throw new ArgumentException($"no VNNI tile kernel for {weightType}"),
        };
        if (activationRows is not (1 or Rows)) throw new ArgumentOutOfRangeException(nameof(activationRows));
        var e = new X64Emitter();
        Reg x = Reg.Rax, xs = Reg.Rbx, xs3 = Reg.Rcx, y = Reg.Rdx, ys = Reg.Rsi, ys3 = Reg.R8,
            side = Reg.R9, ss = Reg.R10, ss3 = Reg.R12, count = Reg.R13, args = Reg.R11, scratch = Reg.R14, next = Reg.R15;
        var saved = abi.Prologue(e, [x, xs, xs3, y, ys, ys3, side, ss, ss3, count, args, scratch, next], X64Abi.AllVectors);
        e.Mov(args, abi.IntArgs[0]);
        e.LoadFields(args, (x, VnniTileArgs.WeightsOffset), (xs, VnniTileArgs.WeightStrideOffset), (y, VnniTileArgs.ActivationsOffset),
            (ys, VnniTileArgs.ActivationStrideOffset), (side, VnniTileArgs.SideOffset), (ss, VnniTileArgs.SideStrideOffset),
            (count, VnniTileArgs.BlocksOffset));
        e.ImulImm(xs3, xs, 3);
        e.ImulImm(ys3, ys, 3);
        e.ImulImm(ss3, ss, 3);
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < activationRows; j++) e.Vpxord(16 + 4 * i + j, 16 + 4 * i + j, 16 + 4 * i + j);
        e.MovImm32(scratch, weightType == GgmlType.Q8_0 ? unchecked((int)0x80808080) : 0x0F0F0F0F);
        e.Vpbroadcastd(Const, scratch);
        if (weightType == GgmlType.Q5_0)
        {
            e.MovImm32(scratch, 0x10101010);
            e.Vpbroadcastd(FifthBit, scratch);
        }

        // Generation streams weights from memory: four interleaved row streams confuse the hardware prefetcher, so
        // the next four rows (one contiguous region) are prefetched in order, as many lines per block step as it consumes.
        bool prefetch = activationRows == 1;
        if (prefetch) e.Lea(next, Mem.Sib(x, xs, 4));
        var done = new Label();
        var loop = new Label();
        e.Test(count, count);
        e.J(Cond.LE, done);
        e.Bind(loop);
        static Mem Row(Reg b, Reg stride, Reg stride3, int i, int disp) => RowLoop.Row(b, stride, stride3, i, disp);
        for (int i = 0; i < Rows; i++)
        {
            if (weightType == GgmlType.Q8_0)
            {
                e.Vpxord(i, Const, Row(x, xs, xs3, i, 2)); // u = w ^ 0x80 = w + 128
            }
            else
            {
                int qs = weightType == GgmlType.Q5_0 ? 6 : 2;
                e.Vmovdqu32(Scratch, Row(x, xs, xs3, i, qs), VecWidth.X);        // 16 bytes of nibble pairs
                e.Vpsrlw(Scratch2, Scratch, 4, VecWidth.X);
                e.Vinserti32x4(Scratch, Scratch, Scratch2, 1);                     // low nibbles = values 0–15, high = 16–31
                e.Vpandd(i, Scratch, Const);                                       // Q4_0: u = nibble = w + 8
                if (weightType == GgmlType.Q5_0)
                {
                    e.Kmovd(1, Row(x, xs, xs3, i, 2));                             // qh: bit j is value j's fifth bit
                    e.Vpmovm2b(Scratch, 1);
                    e.Vpandd(Scratch, Scratch, FifthBit);
                    e.Vpord(i, i, Scratch);                                        // Q5_0: u = nibble | 16·bit = w + 16
                }
            }
            e.Vcvtph2ps(Scratch, Row(x, xs, xs3, i, 0));
            e.Vbroadcastss(4 + i, Scratch);
        }
        for (int j = 0; j < activationRows; j++)
        {
            e.Vmovdqu32(NegSum, Row(side, ss, ss3, j, 0));
            e.Vmovdqu32(YBytes, Row(y, ys, ys3, j, 2));
            for (int i = 0; i < Rows; i++)
            {
                e.Vmovdqa32(T, NegSum);
                e.Vpdpbusd(T, i, YBytes);
                e.Vcvtdq2ps(T, T);
                e.VmulpsBroadcast(S, 4 + i, Row(side, ss, ss3, j, ActivationSide.ScaleOffset));
                e.Vfmadd231ps(16 + 4 * i + j, T, S);
            }
        }
        if (prefetch)
        {
            for (int l = 0; l < 4 * blockBytes; l += 64) e.Prefetcht0(Mem.At(next, l));
            e.AddImm(next, 4 * blockBytes);
        }
        e.AddImm(x, blockBytes);
        e.AddImm(y, 34);
        e.AddImm(side, ActivationSide.RecordBytes);
        e.SubImm(count, 1);
        e.J(Cond.NE, loop);
        e.Bind(done);
        e.Load(x, Mem.At(args, VnniTileArgs.AccumulatorsOffset));
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < activationRows; j++) e.Vmovdqu32(Mem.At(x, 32 * (4 * i + j)), 16 + 4 * i + j);
        e.Vzeroupper();
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }
}
