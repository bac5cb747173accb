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
        var job = new Job
        {
            Type = weightType,
            Kernel = DotKernels.Best(weightType),
            MultiKernel = DotKernels.BestMultiRow(weightType),
            TileKernel = DotKernels.BestTile(weightType),
            TileWeightRows = DotKernels.TileWeightRows(weightType),
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
        long sideBytes = ActivationSideBytes(weightType, rowLength, activationRows);
        if (sideBytes > 0)
        {
            job.Side = (byte*)NativeMemory.AlignedAlloc((nuint)sideBytes, 64);
            job.SideStride = sideBytes / activationRows;
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
        var job = new Job
        {
            Type = weightType,
            Kernel = DotKernels.Best(weightType),
            MultiKernel = DotKernels.BestMultiRow(weightType),
            TileKernel = DotKernels.BestTile(weightType),
            TileWeightRows = DotKernels.TileWeightRows(weightType),
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
        if (activationSide != null && ActivationSideBytes(weightType, rowLength, activationRows) > 0)
        {
            job.Side = activationSide;
            job.SideStride = ActivationSide.Bytes(1, rowLength);
        }
        // The same weight-row tiles as Multiply: a tile stays in L2 while every activation group passes over it.
        for (int t = r0; t < r1; t += TileRows) job.ExecuteRows(t, Math.Min(r1, t + TileRows));
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
        public delegate*<byte*, nint, byte*, int, float*, void> ColumnKernel;
        public GgmlType Type;
        public int TileWeightRows;
        public byte* Side;
        public long SideStride;
        public byte* Weights;
        public long WeightRowBytes;
        public byte* Activations;
        public int ActivationRowBytes, ActivationRows, RowLength, Rows;
        public float* Output;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public readonly void Execute(int startTile, int endTile) =>
            ExecuteRows(startTile * TileRows, Math.Min(Rows, endTile * TileRows));

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public readonly void ExecuteRows(int r0, int r1)
        {
            var kernel = Kernel;
            int n = RowLength;
            float* col = stackalloc float[SignedBlockTiles.Rows];
            for (int jg = 0; jg < ActivationRows; jg += ActivationGroup)
            {
                int jEnd = Math.Min(ActivationRows, jg + ActivationGroup);
                int r = r0;
                if (Side != null && jEnd - jg == VnniTiles.Rows)
                    for (; r + VnniTiles.Rows <= r1; r += VnniTiles.Rows)
                        VnniTiles.Tile(Type, Weights + r * WeightRowBytes, (nint)WeightRowBytes, Activations + (long)jg * ActivationRowBytes,
                                       ActivationRowBytes, Side + jg * SideStride, (nint)SideStride, n, Output + (long)jg * Rows + r, Rows);
                else if (TileKernel != null && jEnd - jg == MultiRowDots.Rows)
                    for (; r + TileWeightRows <= r1; r += TileWeightRows)
                        TileKernel(Weights + r * WeightRowBytes, (nint)WeightRowBytes, Activations + (long)jg * ActivationRowBytes,
                                   ActivationRowBytes, n, Output + (long)jg * Rows + r, Rows);
                if (Side != null && jEnd - jg < VnniTiles.Rows)
                {
                    for (int j = jg; j < jEnd; j++)
                    {
                        byte* act = Activations + (long)j * ActivationRowBytes;
                        float* o = Output + (long)j * Rows;
                        int rr = r;
                        for (; rr + VnniTiles.Rows <= r1; rr += VnniTiles.Rows)
                            VnniTiles.Column(Type, Weights + rr * WeightRowBytes, (nint)WeightRowBytes, act, Side + j * SideStride, n, o + rr);
                        for (; rr < r1; rr++) o[rr] = kernel(Weights + rr * WeightRowBytes, act, n);
                    }
                    continue;
                }
                if (ColumnKernel != null && jEnd - jg < MultiRowDots.Rows)
                {
                    for (int j = jg; j < jEnd; j++)
                    {
                        byte* act = Activations + (long)j * ActivationRowBytes;
                        float* o = Output + (long)j * Rows;
                        int rr = r;
                        for (; rr + SignedBlockTiles.Rows <= r1; rr += SignedBlockTiles.Rows)
                        {
                            ColumnKernel(Weights + rr * WeightRowBytes, (nint)WeightRowBytes, act, n, col);
                            o[rr] = col[0]; o[rr + 1] = col[1]; o[rr + 2] = col[2]; o[rr + 3] = col[3];
                        }
                        for (; rr < r1; rr++) o[rr] = kernel(Weights + rr * WeightRowBytes, act, n);
                    }
                    continue;
                }
                for (; r < r1; r++)
                {
                    byte* w = Weights + r * WeightRowBytes;
                    if (MultiKernel != null && jEnd - jg == MultiRowDots.Rows)
                    {
                        MultiKernel(w, Activations + (long)jg * ActivationRowBytes, ActivationRowBytes, n, Output + (long)jg * Rows + r, Rows);
                        continue;
                    }
                    for (int j = jg; j < jEnd; j++)
                        Output[(long)j * Rows + r] = kernel(w, Activations + (long)j * ActivationRowBytes, n);
                }
            }
        }
    }
}
