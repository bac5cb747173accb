using System.Runtime.InteropServices;
using SharpInfer.Numerics.Kernels.Vnni;
using SharpInfer.Numerics.Threading;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// Weight matrix × activation rows on top of <see cref="DotKernels"/> and <see cref="WorkerPool"/>:
/// <c>output[j·rows + r] = dot(weight row r, activation row j)</c>. Activations are quantized once to the
/// weight's <see cref="VecDot.ActivationType"/> (see <see cref="QuantizeActivations"/>) and shared by all threads.
/// Work is split by tiles of weight rows; inside a tile each weight row is dotted with a group of activation
/// rows while it is hot in L1, and the tile stays in L2 across groups. Every output element is one kernel call
/// by one thread, so results are identical for any thread count.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Weight rows per work item (a tile of ~16 rows stays in L2 while all activation rows pass over it).</summary>
    private const int TileRows = 16;

    /// <summary>Activation rows dotted with one weight row before moving to the next weight row.</summary>
    private const int ActivationGroup = MultiRowDots.Rows;

    /// <param name="pool">Worker pool, or null to run on the calling thread.</param>
    /// <param name="weightType">Storage type of the weights (a type <see cref="VecDot.Supports"/>).</param>
    /// <param name="rows">Weight rows = output elements per activation row.</param>
    /// <param name="rowLength">Elements per weight row and per activation row.</param>
    /// <param name="activationRows">Number of activation rows (tokens).</param>
    /// <param name="weights">rows × <see cref="GgmlTypeInfo.RowBytes"/>(rowLength) bytes, row-major.</param>
    /// <param name="activations">activationRows × <see cref="VecDot.ActivationRowBytes"/>(weightType, rowLength) bytes.</param>
    /// <param name="output">activationRows × rows floats.</param>
    public static void Multiply(WorkerPool? pool, GgmlType weightType, byte* weights, int rows, int rowLength,
                                byte* activations, int activationRows, float* output)
    {
        if (rows < 0 || activationRows < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        var job = Job.For(weightType, weights, rows, rowLength, activations, activationRows, output);
        long sideBytes = ActivationSideBytes(weightType, rowLength, activationRows);
        if (sideBytes > 0)
        {
            job.Side = (byte*)NativeMemory.AlignedAlloc((nuint)sideBytes, 64);
            job.SideStride = ActivationSide.Bytes(1, rowLength);
            PrepareActivationSide(weightType, activations, activationRows, rowLength, job.Side);
        }
        try
        {
            int tiles = (rows + TileRows - 1) / TileRows;
            if (pool == null) job.Execute(0, tiles);
            else pool.Run(ref job, tiles);
        }
        finally
        {
            if (job.Side != null) NativeMemory.AlignedFree(job.Side);
        }
    }

    /// <summary>
    /// Bytes of the per-product activation data the emitted VNNI kernels read (<see cref="PrepareActivationSide"/>), or 0
    /// where <paramref name="weightType"/>'s product does not use them (no AVX512_VNNI, another type).
    /// </summary>
    public static long ActivationSideBytes(GgmlType weightType, int rowLength, int activationRows) =>
        (activationRows >= VnniTiles.Rows ? VnniTiles.Supports(weightType) : VnniTiles.SupportsColumn(weightType))
            ? ActivationSide.Bytes(activationRows, rowLength) : 0;

    /// <summary>Fills the side data for <paramref name="activationRows"/> activation rows already converted for <paramref name="weightType"/>.</summary>
    public static void PrepareActivationSide(GgmlType weightType, byte* activations, int activationRows, int rowLength, byte* side) =>
        ActivationSide.Compute(activations, VecDot.ActivationRowBytes(weightType, rowLength), activationRows, rowLength,
                               VnniTiles.SideOffset(weightType), side);

    /// <summary>
    /// Weight rows [<paramref name="r0"/>, <paramref name="r1"/>) of the product on the calling thread: the unit
    /// a caller with its own work split hands to one thread. Same kernels and order as <see cref="Multiply"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="activationSide"/>: the <see cref="PrepareActivationSide"/> data when <see cref="ActivationSideBytes"/>
    /// asks for it (the caller prepares it once per product for all threads), else null.
    /// </remarks>
    public static void MultiplyRows(GgmlType weightType, byte* weights, int rows, int rowLength,
                                    byte* activations, int activationRows, float* output, int r0, int r1, byte* activationSide = null)
    {
        if (r0 < 0 || r1 > rows || r0 > r1) throw new ArgumentOutOfRangeException(nameof(r0), $"rows [{r0}, {r1}) of {rows}");
        var job = Job.For(weightType, weights, rows, rowLength, activations, activationRows, output);
        if (activationSide != null && ActivationSideBytes(weightType, rowLength, activationRows) > 0)
        {
            job.Side = activationSide;
            job.SideStride = ActivationSide.Bytes(1, rowLength);
        }
        // The same weight-row tiles as Multiply: a tile stays in L2 while every activation group passes over it. One
        // activation row reads each weight row once: the whole range in one go (no tile to keep).
        if (activationRows == 1) job.ExecuteRows(r0, r1);
        else for (int t = r0; t < r1; t += TileRows) job.ExecuteRows(t, Math.Min(r1, t + TileRows));
    }

    /// <summary>Quantizes <paramref name="count"/> activation rows of <paramref name="rowLength"/> floats for <paramref name="weightType"/>.</summary>
    public static void QuantizeActivations(GgmlType weightType, float* x, int count, int rowLength, byte* dst)
    {
        int rowBytes = VecDot.ActivationRowBytes(weightType, rowLength);
        for (int j = 0; j < count; j++)
            VecDot.QuantizeActivations(weightType, new ReadOnlySpan<float>(x + (long)j * rowLength, rowLength),
                                       new Span<byte>(dst + (long)j * rowBytes, rowBytes));
    }

    private struct Job : IParallelJob
    {
        public delegate*<byte*, byte*, int, float> Kernel;
        public delegate*<byte*, byte*, nint, int, float*, nint, void> MultiKernel;
        public delegate*<byte*, nint, byte*, nint, int, float*, nint, void> TileKernel;
        public delegate*<byte*, nint, byte*, int, float*, int, void> ColumnKernel;
        public GgmlType Type;
        public int TileWeightRows;
        public PreparedTile Prepared;
        public byte* Side;
        public long SideStride;
        public byte* Weights;
        public long WeightRowBytes;
        public byte* Activations;
        public int ActivationRowBytes, ActivationRows, RowLength, Rows;
        public float* Output;

        /// <summary>The kernels this CPU has for <paramref name="weightType"/> over the given buffers (no activation side data yet).</summary>
        public static Job For(GgmlType weightType, byte* weights, int rows, int rowLength, byte* activations, int activationRows, float* output) => new()
        {
            Type = weightType,
            Kernel = DotKernels.Best(weightType),
            MultiKernel = DotKernels.BestMultiRow(weightType),
            TileKernel = DotKernels.BestTile(weightType),
            TileWeightRows = DotKernels.TileWeightRows(weightType),
            Prepared = DotKernels.BestPreparedTile(weightType),
            ColumnKernel = DotKernels.BestColumn(weightType),
            Weights = weights,
            WeightRowBytes = GgmlTypeInfo.Get(weightType).RowBytes(rowLength),
            Activations = activations,
            ActivationRowBytes = VecDot.ActivationRowBytes(weightType, rowLength),
            ActivationRows = activationRows,
            RowLength = rowLength,
            Rows = rows,
            Output = output,
        };

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int startTile, int endTile)
        {
            // tile by tile (as MultiplyRows): a tile stays in L2 while every activation group passes over it, and the
            // prepared row pairs of a tile are all the scratch a thread needs
            for (int t = startTile; t < endTile; t++) ExecuteRows(t * TileRows, Math.Min(Rows, (t + 1) * TileRows));
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public readonly void ExecuteRows(int r0, int r1)
        {
            // prompts: the weight side of the tile's row pairs (K-quant scales, mins, quants) unpacked once for every
            // activation group that passes over them, not once per group
            byte* pairs = null;
            if (Prepared.Kernel != null && Side == null && ActivationRows >= ActivationGroup && r1 - r0 >= 2)
                pairs = Prepared.Prepare(Weights + r0 * WeightRowBytes, (nint)WeightRowBytes, (r1 - r0) / 2, RowLength,
                                         PairScratch((long)(r1 - r0) / 2 * (RowLength / 256) * Prepared.RecordBytes + 64));
            for (int jg = 0; jg < ActivationRows; jg += ActivationGroup)
            {
                int jEnd = Math.Min(ActivationRows, jg + ActivationGroup);
                if (jEnd - jg < ActivationGroup && (Side != null || ColumnKernel != null))
                {
                    // generation (and a prompt's last few rows): 4 weight rows against one activation row at a time
                    for (int j = jg; j < jEnd; j++) Columns(j, r0, r1);
                    continue;
                }
                int r = jEnd - jg == ActivationGroup ? Tiles(jg, r0, r1, pairs) : r0;
                for (; r < r1; r++)
                {
                    byte* w = Weights + r * WeightRowBytes;
                    if (MultiKernel != null && jEnd - jg == MultiRowDots.Rows)
                    {
                        MultiKernel(w, Activations + (long)jg * ActivationRowBytes, ActivationRowBytes, RowLength, Output + (long)jg * Rows + r, Rows);
                        continue;
                    }
                    for (int j = jg; j < jEnd; j++)
                        Output[(long)j * Rows + r] = Kernel(w, Activations + (long)j * ActivationRowBytes, RowLength);
                }
            }
        }

        /// <summary>Register-blocked tiles over weight rows [r0, r1) for the 4 activation rows from jg; returns the first row left.</summary>
        private readonly int Tiles(int jg, int r0, int r1, byte* pairs)
        {
            int r = r0;
            byte* act = Activations + (long)jg * ActivationRowBytes;
            float* o = Output + (long)jg * Rows;
            if (Side != null)
                for (; r + VnniTiles.Rows <= r1; r += VnniTiles.Rows)
                    VnniTiles.Tile(Type, Weights + r * WeightRowBytes, (nint)WeightRowBytes, act, ActivationRowBytes,
                                   Side + jg * SideStride, (nint)SideStride, RowLength, o + r, Rows);
            else if (pairs != null)
            {
                long pairBytes = (long)(RowLength / 256) * Prepared.RecordBytes;
                for (; r + 2 <= r1; r += 2)
                    Prepared.Kernel(Weights + r * WeightRowBytes, (nint)WeightRowBytes, act, ActivationRowBytes, RowLength,
                                    o + r, Rows, pairs + (r - r0) / 2 * pairBytes);
            }
            else if (TileKernel != null)
                for (; r + TileWeightRows <= r1; r += TileWeightRows)
                    TileKernel(Weights + r * WeightRowBytes, (nint)WeightRowBytes, act, ActivationRowBytes, RowLength, o + r, Rows);
            return r;
        }

        /// <summary>This thread's scratch of at least <paramref name="bytes"/> for prepared row pairs (kept: no allocation per product).</summary>
        private static byte* PairScratch(long bytes)
        {
            if (t_pairs == null || t_pairs.Length < bytes) t_pairs = GC.AllocateUninitializedArray<byte>((int)bytes, pinned: true);
            fixed (byte* p = t_pairs) return p; // pinned: the pointer stays valid
        }

        [ThreadStatic] private static byte[]? t_pairs;

        /// <summary>
        /// Weight rows [r0, r1) against activation row j: the groups of four rows in one column-kernel call (a group is
        /// only a few hundred cycles of a token's product, so per-call setup shows), the rest one by one.
        /// </summary>
        private readonly void Columns(int j, int r0, int r1)
        {
            byte* act = Activations + (long)j * ActivationRowBytes;
            float* o = Output + (long)j * Rows;
            byte* w = Weights + r0 * WeightRowBytes;
            int groups = (r1 - r0) / SignedBlockTiles.Rows;
            if (Side != null && VnniTiles.SupportsPairColumn(Type))
                VnniTiles.PairColumns(Type, w, (nint)WeightRowBytes, groups, act, Side + j * SideStride, RowLength, o + r0);
            else if (Side != null)
                VnniTiles.Column(Type, w, (nint)WeightRowBytes, groups, act, Side + j * SideStride, RowLength, o + r0);
            else if (groups > 0)
                ColumnKernel(w, (nint)WeightRowBytes, act, RowLength, o + r0, groups);
            for (int r = r0 + groups * SignedBlockTiles.Rows; r < r1; r++) o[r] = Kernel(Weights + r * WeightRowBytes, act, RowLength);
        }
    }
}
