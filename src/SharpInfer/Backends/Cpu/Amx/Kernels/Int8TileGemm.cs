namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// C[m, n] = Σ_k A[m, k] · W[n, k] over signed int8 with int32 accumulation (wrapping), computed
/// by emitted tdpbssd programs over 32×32 blocks. A is row-major with K a multiple of 64; W comes
/// packed by <see cref="Int8VnniPacking"/>. Programs are emitted once per block shape.
/// </summary>
internal sealed unsafe class Int8TileGemm
{
    private readonly ITileProgramRunner _runner;

    private readonly TileProgramCache _programs;

    public Int8TileGemm(ITileProgramRunner runner)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
    }

    /// <summary>The programs emitted so far (one per block shape met).</summary>
    public int ProgramCount => _programs.Count;

    /// <summary>Computes all of C (M × N int32, row-major, N ints per row).</summary>
    public void Multiply(ReadOnlySpan<sbyte> a, int m, int k, ReadOnlySpan<byte> packedW, int n, Span<int> c)
    {
        if (k % Int8VnniPacking.KStep != 0 || k == 0) throw new ArgumentException($"K = {k} must be a positive multiple of 64");
        if (a.Length < (long)m * k || c.Length < (long)m * n || packedW.Length < Int8VnniPacking.PackedBytes(n, k))
            throw new ArgumentException("buffer too small for the given shape");
        int kSteps = k / Int8VnniPacking.KStep;
        long panelBytes = (long)kSteps * Int8VnniPacking.TileBytes;
        fixed (sbyte* pa = a)
        fixed (byte* pw = packedW)
        fixed (int* pc = c)
        {
            using var tiles = new TileSession(_runner, _programs);
            for (int mb = 0; mb < m; mb += 32)
                for (int nb = 0; nb < n; nb += 32)
                {
                    int rows = Math.Min(32, m - mb), cols = Math.Min(32, n - nb);
                    var shape = TileGemmShape.ForBlock(rows, cols, Int8VnniPacking.KStep, perStepOutput: false);
                    byte* panel0 = pw + nb / 16 * panelBytes;
                    var args = new TileGemmArgs
                    {
                        A = (byte*)(pa + (long)mb * k),
                        Lda = k,
                        B0 = panel0,
                        B1 = shape.N1 > 0 ? panel0 + panelBytes : panel0,
                        AStep = Int8VnniPacking.KStep,
                        BStep = Int8VnniPacking.TileBytes,
                        C = pc + (long)mb * n + nb,
                        Ldc = (long)n * sizeof(int),
                        CStep = 0,
                        KSteps = kSteps,
                    };
                    tiles.Run(shape, &args);
                }
        }
    }
}
