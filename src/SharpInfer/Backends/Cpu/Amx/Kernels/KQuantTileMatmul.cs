using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// K-quant weights × Q8_K activations → fp32 on the AMX tiles. The layouts keep the file's bits — Q4_K
/// (<see cref="Q4_KAmxLayout"/>) nibbles, Q5_K (<see cref="Q5_KAmxLayout"/>) five bits, Q6_K (<see cref="Q6_KAmxLayout"/>)
/// six, IQ4_XS (<see cref="IQ4_XSAmxLayout"/>) 4-bit indices — so each thread first unpacks a 32-column block's tiles into
/// signed int8 VNNI tiles (q − bias, or IQ4_XS's values) in its scratch, once for all row blocks. The tile program (tdpbssd,
/// fresh accumulators per K step) gives each step's Σ (q − bias)·a; <see cref="KMinsAmxMath"/> / <see cref="KScalesAmxMath"/>
/// apply the scales (and mins). A K step is one sub-block: 32 values, 16 for Q6_K (its scale granularity). Q8_K rows
/// hold 292 bytes per 256 values, so the program runs once per super-block.
/// </summary>
internal sealed unsafe class KQuantTileMatmul
{
    private const int SuperBlock = 256;
    private readonly ITileProgramRunner _runner;
    private readonly TileProgramCache _programs;
    private readonly GgmlType _type;
    private readonly int _step, _tileBytes, _packedSuperBlockBytes, _unpackedTileBytes;
    private readonly delegate*<byte*, sbyte*, void> _unpack;

    public KQuantTileMatmul(ITileProgramRunner runner, GgmlType type)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
        _type = type;
        (_step, _tileBytes, _packedSuperBlockBytes, _unpackedTileBytes) = type switch
        {
            GgmlType.Q4_K => (Q4_KAmxLayout.SubBlockElements, Q4_KAmxLayout.TileBytes, Q4_KAmxLayout.PackedSuperBlockBytes, AmxNibbleTile.UnpackedBytes),
            GgmlType.Q5_K => (Q5_KAmxLayout.SubBlockElements, Q5_KAmxLayout.TileBytes, Q5_KAmxLayout.PackedSuperBlockBytes, AmxNibbleTile.UnpackedBytes),
            GgmlType.Q6_K => (Q6_KAmxLayout.SubBlockElements, Q6_KAmxLayout.TileBytes, Q6_KAmxLayout.PackedSuperBlockBytes, Q6_KAmxLayout.UnpackedTileBytes),
            GgmlType.IQ4_XS => (IQ4_XSAmxLayout.SubBlockElements, IQ4_XSAmxLayout.TileBytes, IQ4_XSAmxLayout.PackedSuperBlockBytes, AmxNibbleTile.UnpackedBytes),
            _ => throw new ArgumentException($"no K-quant AMX layout for {type}"),
        };
        _unpack = type switch
        {
            GgmlType.Q4_K => &Q4_KAmxLayout.Unpack,
            GgmlType.Q5_K => &Q5_KAmxLayout.Unpack,
            GgmlType.Q6_K => &Q6_KAmxLayout.Unpack,
            _ => &IQ4_XSAmxLayout.Unpack,
        };
    }

    /// <summary>Output columns [<paramref name="columnStart"/>, +<paramref name="columnCount"/>) (multiples of 16) of C = A·Wᵀ.</summary>
    public void Multiply(ReadOnlySpan<byte> activations, int m, int k, ReadOnlySpan<byte> packedWeights, int n, Span<float> c,
        int columnStart, int columnCount)
    {
        if (n <= 0 || k <= 0 || n % 16 != 0 || k % SuperBlock != 0) throw new ArgumentException($"N % 16 and K % 256 must be 0 (N = {n}, K = {k})");
        TileGemmShape.RequireColumnRange(columnStart, columnCount, n);
        int steps = k / _step, stepsPerSuperBlock = SuperBlock / _step, superBlocks = k / SuperBlock;
        long rowBytes = (long)superBlocks * Q8_KFormat.BlockBytes;
        long panelBytes = (long)superBlocks * _packedSuperBlockBytes;
        if (activations.Length < m * rowBytes || packedWeights.Length < n / 16 * panelBytes || c.Length < (long)m * n)
            throw new ArgumentException("buffer too small for the given shape");
        // the program reads B from the unpacked scratch: {panel, step, unpacked tile}
        long bPanel = (long)steps * _unpackedTileBytes;
        long bSuperBlock = (long)stepsPerSuperBlock * _unpackedTileBytes;

        var sums = Q8_0TileMatmul.ThreadScratch(steps);
        var unpacked = Q4TileMatmul.ThreadUnpackScratch(steps);
        fixed (byte* pa = activations)
        fixed (byte* pw = packedWeights)
        fixed (int* ps = sums)
        fixed (byte* pu = unpacked)
        {
            using var tiles = new TileSession(_runner, _programs);
            for (int nb = columnStart; nb < columnStart + columnCount; nb += 32)
            {
                int cols = Math.Min(32, columnStart + columnCount - nb);
                byte* panel0 = pw + nb / 16 * panelBytes;
                UnpackPanels(panel0, panelBytes, cols / 16, superBlocks, stepsPerSuperBlock, pu);
                for (int mb = 0; mb < m; mb += 32)
                {
                    int rows = Math.Min(32, m - mb);
                    var shape = TileGemmShape.ForBlock(rows, cols, _step, perStepOutput: true);
                    for (int s = 0; s < superBlocks; s++)
                    {
                        long first = (long)s * stepsPerSuperBlock;
                        var args = new TileGemmArgs
                        {
                            A = pa + mb * rowBytes + s * Q8_KFormat.BlockBytes + Q8_KFormat.OffQs,
                            Lda = rowBytes,
                            B0 = pu + s * bSuperBlock,
                            B1 = (shape.N1 > 0 ? pu + bPanel : pu) + s * bSuperBlock,
                            AStep = _step,
                            BStep = _unpackedTileBytes,
                            C = ps + first * 1024,
                            Ldc = 32 * sizeof(int),
                            CStep = 32 * 32 * sizeof(int),
                            KSteps = stepsPerSuperBlock,
                        };
                        tiles.Run(shape, &args);
                    }
                    byte* aRows = pa + mb * rowBytes;
                    var block = c.Slice(mb * n + nb);
                    switch (_type)
                    {
                        case GgmlType.Q6_K: KScalesAmxMath.ApplyTileSums(KScalesAmxMath.Layout.Q6_K, aRows, rowBytes, panel0, panelBytes, ps, steps, rows, cols, block, n); break;
                        case GgmlType.IQ4_XS: KScalesAmxMath.ApplyTileSums(KScalesAmxMath.Layout.IQ4_XS, aRows, rowBytes, panel0, panelBytes, ps, steps, rows, cols, block, n); break;
                        case GgmlType.Q5_K: KMinsAmxMath.ApplyTileSums(KMinsAmxMath.Layout.Q5_K, aRows, rowBytes, panel0, panelBytes, ps, steps, rows, cols, block, n); break;
                        default: KMinsAmxMath.ApplyTileSums(KMinsAmxMath.Layout.Q4_K, aRows, rowBytes, panel0, panelBytes, ps, steps, rows, cols, block, n); break;
                    }
                }
            }
        }
    }

    /// <summary>The tiles of <paramref name="panels"/> consecutive 16-row panels to {panel, step, unpacked tile} at <paramref name="dst"/>.</summary>
    private void UnpackPanels(byte* panel0, long panelBytes, int panels, int superBlocks, int tilesPerSuperBlock, byte* dst)
    {
        for (int p = 0; p < panels; p++)
            for (int s = 0; s < superBlocks; s++)
                for (int j = 0; j < tilesPerSuperBlock; j++)
                    _unpack(panel0 + p * panelBytes + (long)s * _packedSuperBlockBytes + (long)j * _tileBytes,
                        (sbyte*)(dst + ((long)p * superBlocks * tilesPerSuperBlock + (long)s * tilesPerSuperBlock + j) * _unpackedTileBytes));
    }
}
