namespace SharpInfer.Numerics.Kernels;

/// <summary>How far ahead the 4-row generation kernels (emitted and intrinsic) prefetch the weight rows they stream.</summary>
internal static class GenerationPrefetch
{
    /// <summary>
    /// How far ahead a generation kernel over 4 rows of <paramref name="rowBytes"/> (stride <paramref name="stride"/>)
    /// prefetches: whole groups of 4 rows, at least the next group, about <paramref name="targetBytes"/> ahead. A fixed
    /// distance in rows suits one row length only: on the 2-core EPYC (alternated runs) 8 rows ahead beat 4 on
    /// llama-1b Q4_0 (1152-byte rows) but lost to 16 on qwen2-0.5b Q4_0 (504-byte rows); about 12 KB ahead was at least
    /// as fast as 4, 8 and 16 KB on both and on Q8_0, one and two threads (llama-1b Q4_0 two threads: 47.4 t/s against
    /// 42.6 at 8 KB and 37.0 at 4 KB).
    /// </summary>
    public static long Distance(long rowBytes, long stride, int targetBytes = 12288)
    {
        long groups = Math.Clamp((targetBytes + 4 * rowBytes - 1) / (4 * rowBytes), 1, 8);
        return 4 * groups * stride;
    }
}
