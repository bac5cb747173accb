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

    /// <summary>
    /// How far ahead a generation kernel over 4 rows of <paramref name="rowBytes"/> (stride <paramref name="stride"/>)
    /// prefetches: whole groups of 4 rows, at least the next group, about <paramref name="targetBytes"/> ahead. A fixed
    /// distance in rows suits one row length only: on the 2-core EPYC (alternated runs) 8 rows ahead beat 4 on
    /// llama-1b Q4_0 (1152-byte rows) but lost to 16 on qwen2-0.5b Q4_0 (504-byte rows); about 12 KB ahead was at least
    /// as fast as 4, 8 and 16 KB on both and on Q8_0, one and two threads (llama-1b Q4_0 two threads: 47.4 t/s against
    /// 42.6 at 8 KB and 37.0 at 4 KB).
    /// </summary>
    public static long Prefetch(long rowBytes, long stride, int targetBytes = 12288)
    {
        long groups = Math.Clamp((targetBytes + 4 * rowBytes - 1) / (4 * rowBytes), 1, 8);
        return 4 * groups * stride;
    }
}
