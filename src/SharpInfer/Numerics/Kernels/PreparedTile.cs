namespace SharpInfer.Numerics.Kernels;

/// <summary>A tile kernel's prepared form (<see cref="DotKernels.BestPreparedTile"/>); <see cref="Kernel"/> null where there is none.</summary>
internal readonly unsafe struct PreparedTile(
    delegate*<byte*, nint, int, int, byte*, byte*> prepare,
    delegate*<byte*, nint, byte*, nint, int, float*, nint, byte*, void> kernel,
    int recordBytes)
{
    /// <summary>(firstWeightRow, weightStride, pairs, n, buffer) → the records, 64-byte aligned inside buffer (64 bytes of room extra).</summary>
    public readonly delegate*<byte*, nint, int, int, byte*, byte*> Prepare = prepare;

    /// <summary>(firstWeightRow, weightStride, firstActivationRow, activationStride, n, output, outputStride, pairRecords).</summary>
    public readonly delegate*<byte*, nint, byte*, nint, int, float*, nint, byte*, void> Kernel = kernel;

    /// <summary>Bytes per row pair and super-block of 256 values.</summary>
    public readonly int RecordBytes = recordBytes;
}
