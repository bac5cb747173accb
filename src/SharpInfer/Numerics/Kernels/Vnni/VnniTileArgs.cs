using System.Runtime.InteropServices;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>What an emitted VNNI tile kernel reads (one pointer to this is its only argument); field offsets are part of the kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VnniTileArgs
{
    public byte* Weights;           // first of 4 weight rows, in the file's block layout
    public long WeightStride;       // bytes between weight rows
    public byte* Activations;       // first of 4 Q8_0 activation rows
    public long ActivationStride;
    public byte* Side;              // first of 4 rows of ActivationSide records
    public long SideStride;
    public long Blocks;             // 32-value blocks per row
    public float* Accumulators;     // out: 16 × 8 floats, (weight row i, activation row j) at (4i + j)·8
    public long PrefetchDistance;   // generation kernels: bytes from the first weight row to the region they prefetch

    public const int WeightsOffset = 0, WeightStrideOffset = 8, ActivationsOffset = 16, ActivationStrideOffset = 24,
                     SideOffset = 32, SideStrideOffset = 40, BlocksOffset = 48, AccumulatorsOffset = 56, PrefetchDistanceOffset = 64;
}
