using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q6_K weights in <see cref="Q6_KAmxLayout"/> × Q8_K activations → fp32 on the AMX tiles: the signed int8 tile program
/// (tdpbssd, K steps of 16 — Q6_K's scale granularity — with fresh accumulators per step) reads the packed quants in
/// place and gives each step's Σ (q − 32)·a; <see cref="Q6_KAmxMath"/> applies the sub-block scales and d. Q8_K rows
/// hold 292 bytes per 256 values, so the program runs once per super-block (16 steps).
/// </summary>
internal sealed unsafe class Q6_KTileMatmul
{
    private const int Step = Q6_KAmxLayout.SubBlockElements;
    private readonly ITileProgramRunner _runner;
    private readonly TileProgramCache _programs;

    public Q6_KTileMatmul(ITileProgramRunner runner)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
    }

    /// <summary>Output columns [<paramref name="columnStart"/>, +<paramref name="columnCount"/>) (multiples of 16) of C = A·Wᵀ.</summary>
    public void Multiply(ReadOnlySpan<byte> activations, int m, int k, ReadOnlySpan<byte> packedWeights, int n, Span<float> c,
        int columnStart, int columnCount)
    {
        if (!Q6_KAmxLayout.CanPack(n, k)) throw new ArgumentException($"N % 16 and K % 256 must be 0 (N = {n}, K = {k})");
        if (columnStart < 0 || columnCount < 0 || columnStart % 16 != 0 || columnCount % 16 != 0 || columnStart + columnCount > n)
            throw new ArgumentException($"column range {columnStart}+{columnCount} must be 16-aligned within N = {n}");
        int steps = k / Step, superBlocks = k / Q6_KAmxLayout.SuperBlockElements;
        long rowBytes = (long)superBlocks * Q8_KFormat.BlockBytes;
        long panelBytes = (long)steps * Q6_KAmxLayout.TileBytes;
        if (activations.Length < m * rowBytes || packedWeights.Length < Q6_KAmxLayout.PackedBytes(n, k) || c.Length < (long)m * n)
            throw new ArgumentException("buffer too small for the given shape");

        var sums = Q8_0TileMatmul.ThreadScratch(steps);
        fixed (byte* pa = activations)
        fixed (byte* pw = packedWeights)
        fixed (int* ps = sums)
        {
            for (int mb = 0; mb < m; mb += 32)
                for (int nb = columnStart; nb < columnStart + columnCount; nb += 32)
                {
                    int rows = Math.Min(32, m - mb), cols = Math.Min(32, columnStart + columnCount - nb);
                    var shape = new TileGemmShape(Math.Min(16, rows), Math.Max(0, rows - 16),
                        Math.Min(16, cols), Math.Max(0, cols - 16), Step, PerStepOutput: true);
                    byte* panel0 = pw + nb / 16 * panelBytes;
                    for (int s = 0; s < superBlocks; s++)
                    {
                        long first = (long)s * 16;
                        var args = new TileGemmArgs
                        {
                            A = pa + mb * rowBytes + s * Q8_KFormat.BlockBytes + Q8_KFormat.OffQs,
                            Lda = rowBytes,
                            B0 = panel0 + first * Q6_KAmxLayout.TileBytes,
                            B1 = (shape.N1 > 0 ? panel0 + panelBytes : panel0) + first * Q6_KAmxLayout.TileBytes,
                            AStep = Step,
                            BStep = Q6_KAmxLayout.TileBytes,
                            C = ps + first * 1024,
                            Ldc = 32 * sizeof(int),
                            CStep = 32 * 32 * sizeof(int),
                            KSteps = 16,
                        };
                        _runner.Run(_programs.For(shape), &args);
                    }
                    Q6_KAmxMath.ApplyTileSums(pa + mb * rowBytes, rowBytes, panel0, panelBytes, ps, steps, rows, cols, c.Slice(mb * n + nb), n);
                }
        }
    }
}
