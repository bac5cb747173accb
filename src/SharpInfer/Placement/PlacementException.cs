namespace SharpInfer.Placement;

/// <summary>The weights do not fit a GPU's free memory with the requested -ngl.</summary>
public sealed class PlacementException(string message, string device, string tensor, long bytes, int fittingGpuLayers)
    : SharpInferException(message)
{
    public string Device { get; } = device;

    /// <summary>The tensor whose placement first exceeds the device's free memory.</summary>
    public string Tensor { get; } = tensor;

    /// <summary>That tensor's bytes on the device.</summary>
    public long Bytes { get; } = bytes;

    /// <summary>The largest -ngl (not above the requested one) whose plan fits.</summary>
    public int FittingGpuLayers { get; } = fittingGpuLayers;
}
