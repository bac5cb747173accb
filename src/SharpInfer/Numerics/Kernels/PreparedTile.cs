namespace SharpInfer.Numerics.Kernels;

/// <summary>A tile kernel's prepared form (<see cref="DotKernels.BestPreparedTile"/>); <see cref="Kernel"/> null where there is none.</summary>
internal readonly unsafe struct PreparedTile(
    delegate*<byte*, nint, int, int, byte*, void> prepare,
    delegate*<byte*, nint, byte*, nint, int, float*, nint, byte*, void> kernel,
    int recordBytes)
{
    /// <summary>(firstWeightRow, weightStride, pairs, n, records): writes the records (64-byte aligned) for consecutive row pairs.</summary>
    private readonly delegate*<byte*, nint, int, int, byte*, void> _prepare = prepare;

    /// <summary>(firstWeightRow, weightStride, firstActivationRow, activationStride, n, output, outputStride, pairRecords).</summary>
    public readonly delegate*<byte*, nint, byte*, nint, int, float*, nint, byte*, void> Kernel = kernel;

    /// <summary>Bytes per row pair and super-block of 256 values.</summary>
    public readonly int RecordBytes = recordBytes;

    /// <summary>
    /// The records of <paramref name="pairs"/> consecutive row pairs from <paramref name="x"/> (pair p's super-block i at
    /// (p·n/256 + i)·<see cref="RecordBytes"/>), written 64-byte aligned inside <paramref name="buffer"/>, which needs
    /// 64 bytes of room beyond them; returns where they start.
    /// </summary>
    public byte* Prepare(byte* x, nint xs, int pairs, int n, byte* buffer)
    {
        byte* records = (byte*)(((nint)buffer + 63) & ~(nint)63);
        _prepare(x, xs, pairs, n, records);
        return records;
    }

    /// <summary>Records up to this size are prepared on the stack (rows of up to ~15000 Q6_K or ~150000 Q4_K values).</summary>
    private const int MaxStackBytes = 64 * 1024;

    /// <summary>
    /// The tile for one row pair (xa, xa + xs) without a caller's preparation: its records prepared here, then
    /// <see cref="Kernel"/> over them — the unprepared tile kernels are this.
    /// </summary>
    public void RunOnePair(byte* xa, nint xs, byte* y, nint ys, int n, float* s, nint ss)
    {
        int bytes = n / 256 * RecordBytes + 64;
        if (bytes > MaxStackBytes)
        {
            var heap = new byte[bytes];
            fixed (byte* h = heap) Kernel(xa, xs, y, ys, n, s, ss, Prepare(xa, xs, 1, n, h));
            return;
        }
        byte* buffer = stackalloc byte[bytes];
        Kernel(xa, xs, y, ys, n, s, ss, Prepare(xa, xs, 1, n, buffer));
    }
}
