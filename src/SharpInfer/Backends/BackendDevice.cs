namespace SharpInfer.Backends;

/// <summary>
/// A device as data: the planner reads only these facts, so plans for machines with 0, 1 or 2 GPUs
/// can be computed (and tested) on a machine that has none.
/// </summary>
/// <param name="Name">Device name as llama.cpp prints it (<c>CPU</c>, <c>CUDA0</c>, …).</param>
/// <param name="Kind">CPU or GPU.</param>
/// <param name="Family">Backend family (<c>CPU</c>, <c>CUDA</c>); names the family-wide types (<c>CUDA_Host</c>, <c>CUDA_Split</c>).</param>
/// <param name="Description">Free text (the GPU's model name).</param>
/// <param name="TotalMemory">Bytes of device memory; 0 when unknown.</param>
/// <param name="FreeMemory">Bytes free; 0 when unknown (then the planner does not check fit).</param>
public sealed record BackendDevice(
    string Name,
    DeviceKind Kind,
    string Family,
    string Description,
    long TotalMemory,
    long FreeMemory)
{
    /// <summary>Row-split boundaries are rounded down to a multiple of this many rows (ggml-cuda's row rounding).</summary>
    public int RowSplitRounding { get; init; } = 64;

    /// <summary>A GPU described by data only (no runtime behind it).</summary>
    public static BackendDevice SimulatedGpu(int index, long totalMemory, long freeMemory, string family = "CUDA") =>
        new($"{family}{index}", DeviceKind.Gpu, family, $"simulated {family} device {index}", totalMemory, freeMemory);
}
