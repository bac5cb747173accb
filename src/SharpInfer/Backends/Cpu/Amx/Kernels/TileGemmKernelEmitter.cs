using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Emits <c>void kernel(TileGemmArgs* args)</c>: a tile GEMM in ggml's 2-2-4 tile pattern with
/// tdpbssd (int8 → int32) or tdpbf16ps (bf16 → fp32); both use the same tile geometry. The program expects the tiles
/// configured for its shape (<see cref="EmitConfigure"/>) and leaves them configured: a thread loads the config once for
/// its share of a matmul and reloads only when the block shape changes (<see cref="TileSession"/>), as ggml configures
/// tiles once per thread; <see cref="EmitRelease"/> ends the session.
/// </summary>
internal static class TileGemmKernelEmitter
{
    // Register plan (all loaded from args; r12 holds the 64-byte B row pitch used as SIB index).
    private const Reg Args = Reg.R11, A0 = Reg.Rax, A1 = Reg.R14, Lda = Reg.R8, B0 = Reg.Rbx, B1 = Reg.R9,
        AStep = Reg.R13, BStep = Reg.Rsi, C0 = Reg.Rcx, C1 = Reg.R15, Ldc = Reg.Rdx, CStep = Reg.Rdi,
        Count = Reg.R10, BPitch = Reg.R12;

    private static readonly Reg[] Used = [Args, A0, A1, Lda, B0, B1, AStep, BStep, C0, C1, Ldc, CStep, Count, BPitch];

    /// <summary>The tile shapes of a block: B rows are K/4 (VNNI), C and B share colsb, A and C share rows.</summary>
    public static TileConfig Config(TileGemmShape s)
    {
        int kRows = s.KStepBytes / 4;
        var cfg = new TileConfig()
            .Set(0, kRows, s.N0 * 4)
            .Set(2, s.M0, s.KStepBytes)
            .Set(4, s.M0, s.N0 * 4);
        if (s.N1 > 0) cfg.Set(1, kRows, s.N1 * 4).Set(6, s.M0, s.N1 * 4);
        if (s.M1 > 0) cfg.Set(3, s.M1, s.KStepBytes).Set(5, s.M1, s.N0 * 4);
        if (s.M1 > 0 && s.N1 > 0) cfg.Set(7, s.M1, s.N1 * 4);
        return cfg;
    }

    public static byte[] Emit(TileGemmShape s, X64Abi abi)
    {
        s.Validate();
        bool twoRows = s.M1 > 0, twoCols = s.N1 > 0;
        var e = new X64Emitter();
        var saved = abi.Prologue(e, Used);
        e.Mov(Args, abi.IntArgs[0]);

        e.LoadFields(Args, (A0, TileGemmArgs.OffA), (Lda, TileGemmArgs.OffLda), (B0, TileGemmArgs.OffB0), (B1, TileGemmArgs.OffB1),
            (AStep, TileGemmArgs.OffAStep), (BStep, TileGemmArgs.OffBStep), (C0, TileGemmArgs.OffC), (Ldc, TileGemmArgs.OffLdc),
            (CStep, TileGemmArgs.OffCStep), (Count, TileGemmArgs.OffKSteps));
        e.MovImm(BPitch, 64);
        if (twoRows)
        {
            // Second row tile starts 16 rows further down in A and in C.
            e.ImulImm(A1, Lda, 16);
            e.Add(A1, A0);
            e.ImulImm(C1, Ldc, 16);
            e.Add(C1, C0);
        }

        if (!s.PerStepOutput) ZeroAccumulators(e, twoRows, twoCols);

        var loop = new Label();
        e.Bind(loop);
        e.Tileloadd(Tmm.Tmm2, Mem.Sib(A0, Lda));
        if (twoRows) e.Tileloadd(Tmm.Tmm3, Mem.Sib(A1, Lda));
        e.Tileloadd(Tmm.Tmm0, Mem.Sib(B0, BPitch));
        if (twoCols) e.Tileloadd(Tmm.Tmm1, Mem.Sib(B1, BPitch));
        if (s.PerStepOutput) ZeroAccumulators(e, twoRows, twoCols);
        Action<Tmm, Tmm, Tmm> dot = s.Dot == TileDot.Bf16 ? e.Tdpbf16ps : e.Tdpbssd;
        dot(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0);
        if (twoCols) dot(Tmm.Tmm6, Tmm.Tmm2, Tmm.Tmm1);
        if (twoRows) dot(Tmm.Tmm5, Tmm.Tmm3, Tmm.Tmm0);
        if (twoRows && twoCols) dot(Tmm.Tmm7, Tmm.Tmm3, Tmm.Tmm1);
        if (s.PerStepOutput)
        {
            StoreAccumulators(e, twoRows, twoCols);
            e.Add(C0, CStep);
            if (twoRows) e.Add(C1, CStep);
        }
        e.Add(A0, AStep);
        if (twoRows) e.Add(A1, AStep);
        e.Add(B0, BStep);
        if (twoCols) e.Add(B1, BStep);
        e.SubImm(Count, 1);
        e.J(Cond.NE, loop);

        if (!s.PerStepOutput) StoreAccumulators(e, twoRows, twoCols);
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }

    /// <summary>
    /// <c>void configure(void)</c>: loads <see cref="Config"/> of <paramref name="s"/> (built on the stack from
    /// immediates; ldtilecfg also zeroes every tile). Touches only rax, volatile in both conventions.
    /// </summary>
    public static byte[] EmitConfigure(TileGemmShape s)
    {
        s.Validate();
        var cfg = Config(s);
        var e = new X64Emitter();
        e.SubImm(Reg.Rsp, TileConfig.Size);
        for (int i = 0; i < 8; i++)
        {
            e.MovImm(Reg.Rax, cfg.Qword(i));
            e.Store(Mem.At(Reg.Rsp, 8 * i), Reg.Rax);
        }
        e.Ldtilecfg(Mem.At(Reg.Rsp));
        e.AddImm(Reg.Rsp, TileConfig.Size);
        e.Ret();
        return e.ToArray();
    }

    /// <summary><c>void release(void)</c>: tilerelease, returning the tile state to its init state.</summary>
    public static byte[] EmitRelease()
    {
        var e = new X64Emitter();
        e.Tilerelease();
        e.Ret();
        return e.ToArray();
    }

    private static void ZeroAccumulators(X64Emitter e, bool twoRows, bool twoCols)
    {
        e.Tilezero(Tmm.Tmm4);
        if (twoCols) e.Tilezero(Tmm.Tmm6);
        if (twoRows) e.Tilezero(Tmm.Tmm5);
        if (twoRows && twoCols) e.Tilezero(Tmm.Tmm7);
    }

    private static void StoreAccumulators(X64Emitter e, bool twoRows, bool twoCols)
    {
        // Column tile 1 starts 16 int32 = 64 bytes to the right.
        e.Tilestored(Mem.Sib(C0, Ldc), Tmm.Tmm4);
        if (twoCols) e.Tilestored(Mem.Sib(C0, Ldc, 1, 64), Tmm.Tmm6);
        if (twoRows) e.Tilestored(Mem.Sib(C1, Ldc), Tmm.Tmm5);
        if (twoRows && twoCols) e.Tilestored(Mem.Sib(C1, Ldc, 1, 64), Tmm.Tmm7);
    }
}
