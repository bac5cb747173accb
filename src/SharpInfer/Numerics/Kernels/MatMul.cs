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
            Kernel = DotKernels.Best(weightType),
            MultiKernel = DotKernels.BestMultiRow(weightType),
            Weights = weights,
            WeightRowBytes = GgmlTypeInfo.Get(weightType).RowBytes(rowLength),
            Activations = activations,
            ActivationRowBytes = VecDot.ActivationRowBytes(weightType, rowLength),
            ActivationRows = activationRows,
            RowLength = rowLength,
            Rows = rows,
            Output = output,
        };
        int tiles = (rows + TileRows - 1) / TileRows;
        if (pool == null) job.Execute(0, tiles);
        else pool.Run(ref job, tiles);
    }

    /// <summary>
    /// Weight rows [<paramref name="r0"/>, <paramref name="r1"/>) of the product on the calling thread: the unit
    /// a caller with its own work split hands to one thread. Same kernels and order as <see cref="Multiply"/>.
    /// </summary>
    public static void MultiplyRows(GgmlType weightType, byte* weights, int rows, int rowLength,
                                    byte* activations, int activationRows, float* output, int r0, int r1)
    {
        if (r0 < 0 || r1 > rows || r0 > r1) throw new ArgumentOutOfRangeException(nameof(r0), $"rows [{r0}, {r1}) of {rows}");
        var job = new Job
        {
            Kernel = DotKernels.Best(weightType),
            MultiKernel = DotKernels.BestMultiRow(weightType),
            Weights = weights,
            WeightRowBytes = GgmlTypeInfo.Get(weightType).RowBytes(rowLength),
            Activations = activations,
            ActivationRowBytes = VecDot.ActivationRowBytes(weightType, rowLength),
            ActivationRows = activationRows,
            RowLength = rowLength,
            Rows = rows,
            Output = output,
        };
        job.ExecuteRows(r0, r1);
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
            for (int jg = 0; jg < ActivationRows; jg += ActivationGroup)
            {
                int jEnd = Math.Min(ActivationRows, jg + ActivationGroup);
                for (int r = r0; r < r1; r++)
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
