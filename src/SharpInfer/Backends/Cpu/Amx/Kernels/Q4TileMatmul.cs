using SharpInfer.Numerics;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// 4-bit weights in ggml's AMX layout (<see cref="Q4_0AmxLayout"/> × Q8_0 activations,
/// <see cref="Q4_1AmxLayout"/> × Q8_1 activations) → fp32, as ggml's AMX kernel computes it: each
/// packed tile is unpacked to an int8 VNNI tile (Q4_0: nibble − 8; Q4_1: nibble) in a per-thread
/// scratch, the same signed int8 tile program as Q8_0 (tdpbssd, fresh accumulators per 32-element
/// block) gives the exact int32 block sums, and the scales are applied outside the tile product as
/// ggml's acc_C does (<see cref="AmxBlockScales"/>). A 32-column block's weights are unpacked once and
/// serve every 32-row block of activations.
/// </summary>
internal sealed unsafe class Q4TileMatmul
{
    private const int Block = AmxNibbleTile.BlockElements, Unpacked = AmxNibbleTile.UnpackedBytes;
    private readonly ITileProgramRunner _runner;
    private readonly TileProgramCache _programs;
    private readonly int _tileBytes, _scalesOffset, _minsOffset, _offset, _actBlockBytes, _actQuants;
    [ThreadStatic] private static byte[]? t_unpacked;

    public Q4TileMatmul(ITileProgramRunner runner, GgmlType type)
    {
        _runner = runner;
        _programs = new TileProgramCache(runner.Abi);
        Type = type;
        switch (type)
        {
            case GgmlType.Q4_0:
                (_tileBytes, _scalesOffset, _minsOffset, _offset) = (Q4_0AmxLayout.TileBytes, Q4_0AmxLayout.ScalesOffset, AmxBlockScales.NoMins, Q4_0AmxLayout.Offset);
                (_actBlockBytes, _actQuants) = (34, 2);  // block_q8_0: d, qs
                break;
            case GgmlType.Q4_1:
                (_tileBytes, _scalesOffset, _minsOffset, _offset) = (Q4_1AmxLayout.TileBytes, Q4_1AmxLayout.ScalesOffset, Q4_1AmxLayout.MinsOffset, 0);
                (_actBlockBytes, _actQuants) = (36, 4);  // block_q8_1: d, s, qs
                break;
            default:
                throw new ArgumentException($"no 4-bit AMX layout for {type}");
        }
    }

    public GgmlType Type { get; }


    private static bool CanPack(int n, int k) => n > 0 && k > 0 && n % 16 == 0 && k % Block == 0;

    private long PackedBytes(int n, int k) => (long)(n / 16) * (k / Block) * _tileBytes;

    /// <summary>
    /// <paramref name="activations"/>: M rows of K values as the weight type's vec_dot type (block_q8_0 /
    /// block_q8_1); <paramref name="packedWeights"/>: from the layout's Pack; <paramref name="c"/>: M × N fp32, row-major.
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
        if (!CanPack(n, k)) throw new ArgumentException($"N % 16 and K % 32 must be 0 (N = {n}, K = {k})");
        TileGemmShape.RequireColumnRange(columnStart, columnCount, n);
        int kb = k / Block;
        long rowBytes = (long)kb * _actBlockBytes;
        long panelBytes = (long)kb * _tileBytes;
        long unpackedPanelBytes = (long)kb * Unpacked;
        if (activations.Length < m * rowBytes || packedWeights.Length < PackedBytes(n, k) || c.Length < (long)m * n)
            throw new ArgumentException("buffer too small for the given shape");

        var sums = Q8_0TileMatmul.ThreadScratch(kb);
        var unpacked = ThreadUnpackScratch(kb);
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
                AmxNibbleTile.UnpackPanels(panel0, panelBytes, cols / 16, kb, _tileBytes, pu, _offset);

                for (int mb = 0; mb < m; mb += 32)
                {
                    int rows = Math.Min(32, m - mb);
                    var shape = TileGemmShape.ForBlock(rows, cols, Block, perStepOutput: true);
                    var args = new TileGemmArgs
                    {
                        A = pa + mb * rowBytes + _actQuants, // the quants of block 0
                        Lda = rowBytes,
                        B0 = pu,
                        B1 = shape.N1 > 0 ? pu + unpackedPanelBytes : pu,
                        AStep = _actBlockBytes,
                        BStep = Unpacked,
                        C = ps,
                        Ldc = 32 * sizeof(int),
                        CStep = 32 * 32 * sizeof(int),
                        KSteps = kb,
                    };
                    tiles.Run(shape, &args);
                    AmxBlockScales.Apply(pa + mb * rowBytes, rowBytes, _actBlockBytes, panel0, panelBytes, _tileBytes,
                        _scalesOffset, _minsOffset, ps, kb, rows, cols, c.Slice(mb * n + nb), n);
                }
            }
        }
    }

    /// <summary>
    /// This thread's scratch for the unpacked int8 tiles of two 16-row panels over <paramref name="blocks"/>
    /// K blocks ({panel, block, 512 bytes}). Reused across calls (no allocation per token).
    /// </summary>
    internal static byte[] ThreadUnpackScratch(int blocks)
    {
        int bytes = 2 * blocks * Unpacked;
        if (t_unpacked is null || t_unpacked.Length < bytes) t_unpacked = new byte[bytes];
        return t_unpacked;
    }
}
