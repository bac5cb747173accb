namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q8_0 weights × Q8_0 activations → fp32, as ggml's AMX kernel computes it: per 32-element block
/// the tile program produces the exact int32 dot products (fresh accumulators per block), and the
/// per-block scales are applied outside the tile product: C = fma(isum, d_w·d_a, C) block by block.
/// C[m, n] = Σ_blocks isum(m, n, b) · d_w[n, b] · d_a[m, b].
/// </summary>
internal sealed unsafe class Q8_0TileMatmul
{
    private const int Block = Q8_0AmxLayout.BlockElements;
    private readonly ITileProgramRunner _runner;
    [ThreadStatic] private static int[]? t_scratch;

    private readonly TileProgramCache _programs;

    public Q8_0TileMatmul(ITileProgramRunner runner)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
    }


    /// <summary>
    /// <paramref name="activations"/>: M rows of K values as ggml block_q8_0; <paramref name="packedWeights"/>:
    /// from <see cref="Q8_0AmxLayout.Pack"/>; <paramref name="c"/>: M × N fp32, row-major.
    /// </summary>
    public void Multiply(ReadOnlySpan<byte> activations, int m, int k, ReadOnlySpan<byte> packedWeights, int n, Span<float> c) =>
        Multiply(activations, m, k, packedWeights, n, c, 0, n);

    /// <summary>
    /// Computes only output columns [<paramref name="columnStart"/>, +<paramref name="columnCount"/>)
    /// (both multiples of 16), so callers can split N across threads; each thread uses its own scratch.
    /// </summary>
    public void Multiply(ReadOnlySpan<byte> activations, int m, int k, ReadOnlySpan<byte> packedWeights, int n, Span<float> c,
        int columnStart, int columnCount)
    {
        if (!Q8_0AmxLayout.CanPack(n, k)) throw new ArgumentException($"N % 16 and K % 32 must be 0 (N = {n}, K = {k})");
        TileGemmShape.RequireColumnRange(columnStart, columnCount, n);
        int kb = k / Block;
        long rowBytes = (long)kb * Q8_0AmxLayout.BlockBytes;
        long panelBytes = (long)kb * Q8_0AmxLayout.TileBytes;
        if (activations.Length < m * rowBytes || packedWeights.Length < Q8_0AmxLayout.PackedBytes(n, k) || c.Length < (long)m * n)
            throw new ArgumentException("buffer too small for the given shape");

        var scratch = ThreadScratch(kb);
        fixed (byte* pa = activations)
        fixed (byte* pw = packedWeights)
        fixed (int* ps = scratch)
        {
            using var tiles = new TileSession(_runner, _programs);
            for (int mb = 0; mb < m; mb += 32)
                for (int nb = columnStart; nb < columnStart + columnCount; nb += 32)
                {
                    int rows = Math.Min(32, m - mb), cols = Math.Min(32, columnStart + columnCount - nb);
                    var shape = TileGemmShape.ForBlock(rows, cols, Block, perStepOutput: true);
                    byte* panel0 = pw + nb / 16 * panelBytes;
                    var args = new TileGemmArgs
                    {
                        A = pa + mb * rowBytes + 2, // skip the fp16 scale: the quants of block 0
                        Lda = rowBytes,
                        B0 = panel0,
                        B1 = shape.N1 > 0 ? panel0 + panelBytes : panel0,
                        AStep = Q8_0AmxLayout.BlockBytes,
                        BStep = Q8_0AmxLayout.TileBytes,
                        C = ps,
                        Ldc = 32 * sizeof(int),
                        CStep = 32 * 32 * sizeof(int),
                        KSteps = kb,
                    };
                    tiles.Run(shape, &args);
                    AmxBlockScales.Apply(pa + mb * rowBytes, rowBytes, Q8_0AmxLayout.BlockBytes, pw + nb / 16 * panelBytes, panelBytes,
                        Q8_0AmxLayout.TileBytes, Q8_0AmxLayout.ScalesOffset, AmxBlockScales.NoMins, ps, kb, rows, cols, c.Slice(mb * n + nb), n);
                }
        }
    }

    /// <summary>
    /// This thread's scratch for <paramref name="blocks"/> K blocks: one 32×32 int32 slice per block,
    /// the tile program's per-step output. Reused across calls (no allocation per token).
    /// </summary>
    internal static int[] ThreadScratch(int blocks)
    {
        if (t_scratch is null || t_scratch.Length < blocks * 32 * 32) t_scratch = new int[blocks * 32 * 32];
        return t_scratch;
    }
}
