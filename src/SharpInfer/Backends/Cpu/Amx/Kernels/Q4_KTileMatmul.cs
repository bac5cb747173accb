using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q4_K weights in <see cref="Q4_KAmxLayout"/> × Q8_K activations → fp32 on the AMX tiles: each 32-element sub-block
/// tile is unpacked to signed int8 (nibble − 8, as for Q4_0) in a per-thread scratch, the signed int8 tile program
/// (tdpbssd, fresh accumulators per K step) gives each step's Σ (q − 8)·a, and <see cref="Q4_KAmxMath"/> adds 8·Σa back
/// and applies the sub-block scales and mins. Q8_K rows hold 292 bytes per 256 values (d, quants, bsums), so the program
/// runs once per super-block (8 steps of 32 quants each).
/// </summary>
internal sealed unsafe class Q4_KTileMatmul
{
    private const int Step = Q4_KAmxLayout.SubBlockElements, Unpacked = AmxNibbleTile.UnpackedBytes;
    private readonly ITileProgramRunner _runner;
    private readonly TileProgramCache _programs;

    public Q4_KTileMatmul(ITileProgramRunner runner)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
    }

    /// <summary>Output columns [<paramref name="columnStart"/>, +<paramref name="columnCount"/>) (multiples of 16) of C = A·Wᵀ.</summary>
    public void Multiply(ReadOnlySpan<byte> activations, int m, int k, ReadOnlySpan<byte> packedWeights, int n, Span<float> c,
        int columnStart, int columnCount)
    {
        if (!Q4_KAmxLayout.CanPack(n, k)) throw new ArgumentException($"N % 16 and K % 256 must be 0 (N = {n}, K = {k})");
        if (columnStart < 0 || columnCount < 0 || columnStart % 16 != 0 || columnCount % 16 != 0 || columnStart + columnCount > n)
            throw new ArgumentException($"column range {columnStart}+{columnCount} must be 16-aligned within N = {n}");
        int steps = k / Step, superBlocks = k / Q4_KAmxLayout.SuperBlockElements;
        long rowBytes = (long)superBlocks * Q8_KFormat.BlockBytes;
        long panelBytes = (long)steps * Q4_KAmxLayout.TileBytes;
        long unpackedPanelBytes = (long)steps * Unpacked;
        if (activations.Length < m * rowBytes || packedWeights.Length < Q4_KAmxLayout.PackedBytes(n, k) || c.Length < (long)m * n)
            throw new ArgumentException("buffer too small for the given shape");

        var sums = Q8_0TileMatmul.ThreadScratch(steps);
        var unpacked = Q4TileMatmul.ThreadUnpackScratch(steps);
        fixed (byte* pa = activations)
        fixed (byte* pw = packedWeights)
        fixed (int* ps = sums)
        fixed (byte* pu = unpacked)
        {
            for (int nb = columnStart; nb < columnStart + columnCount; nb += 32)
            {
                int cols = Math.Min(32, columnStart + columnCount - nb);
                byte* panel0 = pw + nb / 16 * panelBytes;
                AmxNibbleTile.UnpackPanels(panel0, panelBytes, cols / 16, steps, Q4_KAmxLayout.TileBytes, pu, Q4_0AmxLayout.Offset);

                for (int mb = 0; mb < m; mb += 32)
                {
                    int rows = Math.Min(32, m - mb);
                    var shape = new TileGemmShape(Math.Min(16, rows), Math.Max(0, rows - 16),
                        Math.Min(16, cols), Math.Max(0, cols - 16), Step, PerStepOutput: true);
                    for (int s = 0; s < superBlocks; s++)
                    {
                        long first = (long)s * 8;
                        var args = new TileGemmArgs
                        {
                            A = pa + mb * rowBytes + s * Q8_KFormat.BlockBytes + Q8_KFormat.OffQs,
                            Lda = rowBytes,
                            B0 = pu + first * Unpacked,
                            B1 = (shape.N1 > 0 ? pu + unpackedPanelBytes : pu) + first * Unpacked,
                            AStep = Step,
                            BStep = Unpacked,
                            C = ps + first * 1024,
                            Ldc = 32 * sizeof(int),
                            CStep = 32 * 32 * sizeof(int),
                            KSteps = 8,
                        };
                        _runner.Run(_programs.For(shape), &args);
                    }
                    Q4_KAmxMath.ApplyTileSums(pa + mb * rowBytes, rowBytes, panel0, panelBytes, ps, steps, rows, cols, c.Slice(mb * n + nb), n);
                }
            }
        }
    }
}
