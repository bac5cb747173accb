using SharpInfer.Backends.Gpu.Offload;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// The KV cache of offloaded layers lives on their device; a context whose cache does not fit is
/// refused before allocating, naming the device, the sizes and what to lower (llama.cpp fails at the
/// same point with "failed to allocate buffer for kv cache"). The check itself runs only where the
/// driver reports free memory (CUDA); these are its numbers and its message.
/// </summary>
public sealed class GpuCacheFitTests
{
    [Fact]
    public void CacheBytesAreKeyAndValueRowsPerPosition()
    {
        // Llama-3.2-1B: 8 KV heads × 64 = 512 channels each for K and V
        Assert.Equal(4096L * (512 * 2 + 512 * 2), GpuSession.CacheBytes(4096, 512, 512, GgmlType.F16, GgmlType.F16));
        Assert.Equal(131072L * (512 * 4 + 512 * 2), GpuSession.CacheBytes(131072, 512, 512, GgmlType.F32, GgmlType.F16));
    }

    [Fact]
    public void RefusalNamesDeviceSizesAndWhatToLower()
    {
        long needed = 16 * GpuSession.CacheBytes(131072, 512, 512, GgmlType.F16, GgmlType.F16);
        var message = GpuSession.CacheDoesNotFit("CUDA1", 16, 131072, GgmlType.F16, GgmlType.F16, needed, 1L << 30);
        Assert.Equal("CUDA1: the KV cache of its 16 offloaded layers (-c 131072, K f16, V f16) needs 4096.00 MiB " +
                     "but only 1024.00 MiB are free after the weights; lower -c or -ngl", message);
    }
}
