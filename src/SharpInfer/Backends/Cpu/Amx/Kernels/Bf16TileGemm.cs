namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// C[m, n] = Σ_k A[m, k] · W[n, k] over BF16 inputs with FP32 accumulation by tdpbf16ps (the
/// hardware's order: k ascending, pairs added one product at a time, denormals flushed).
/// A is row-major bf16 with K a multiple of 32; W comes from <see cref="Pack"/>.
/// </summary>
internal sealed unsafe class Bf16TileGemm
{
    public const int PanelRows = 16, KStep = 32, TileBytes = 1024;
    private readonly ITileProgramRunner _runner;

    private readonly TileProgramCache _programs;

    public Bf16TileGemm(ITileProgramRunner runner)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
    }

    /// <summary>Packs bf16 weights (N × K) as {panel, k step, tile {k/2 = 16, n = 16, 2}}; missing rows are zero.</summary>
    public static byte[] Pack(ReadOnlySpan<ushort> w, int n, int k)
    {
        if (k % KStep != 0) throw new ArgumentException($"K = {k} must be a multiple of {KStep}");
        int panels = (n + PanelRows - 1) / PanelRows, kSteps = k / KStep;
        var packed = new byte[(long)panels * kSteps * TileBytes];
        for (int p = 0; p < panels; p++)
            for (int s = 0; s < kSteps; s++)
            {
                int tile = (p * kSteps + s) * TileBytes;
                for (int nn = 0; nn < PanelRows && p * PanelRows + nn < n; nn++)
                    for (int kk = 0; kk < KStep; kk++)
                    {
                        ushort v = w[(p * PanelRows + nn) * k + s * KStep + kk];
                        int at = tile + (kk / 2) * 64 + nn * 4 + (kk % 2) * 2;
                        packed[at] = (byte)v;
                        packed[at + 1] = (byte)(v >> 8);
                    }
            }
        return packed;
    }

    public void Multiply(ReadOnlySpan<ushort> a, int m, int k, ReadOnlySpan<byte> packedW, int n, Span<float> c)
    {
        if (k % KStep != 0 || k == 0) throw new ArgumentException($"K = {k} must be a positive multiple of {KStep}");
        int kSteps = k / KStep;
        long panelBytes = (long)kSteps * TileBytes;
        if (a.Length < (long)m * k || c.Length < (long)m * n || packedW.Length < (n + PanelRows - 1) / PanelRows * panelBytes)
            throw new ArgumentException("buffer too small for the given shape");
        fixed (ushort* pa = a)
        fixed (byte* pw = packedW)
        fixed (float* pc = c)
        {
            using var tiles = new TileSession(_runner, _programs);
            for (int mb = 0; mb < m; mb += 32)
                for (int nb = 0; nb < n; nb += 32)
                {
                    int rows = Math.Min(32, m - mb), cols = Math.Min(32, n - nb);
                    var shape = TileGemmShape.ForBlock(rows, cols, 2 * KStep, perStepOutput: false, TileDot.Bf16);
                    byte* panel0 = pw + nb / 16 * panelBytes;
                    var args = new TileGemmArgs
                    {
                        A = (byte*)(pa + (long)mb * k),
                        Lda = 2L * k,
                        B0 = panel0,
                        B1 = shape.N1 > 0 ? panel0 + panelBytes : panel0,
                        AStep = 2 * KStep,
                        BStep = TileBytes,
                        C = (int*)(pc + (long)mb * n + nb),
                        Ldc = (long)n * sizeof(float),
                        CStep = 0,
                        KSteps = kSteps,
                    };
                    tiles.Run(shape, &args);
                }
        }
    }
}
