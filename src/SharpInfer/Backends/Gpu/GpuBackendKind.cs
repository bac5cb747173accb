namespace SharpInfer.Backends.Gpu;

/// <summary>
/// Which runtime drives GPU backends (<c>--gpu-backend</c>). <see cref="Cuda"/> is the default:
/// NVIDIA devices through ILGPU, none when the driver is absent. <see cref="IlgpuCpu"/> is for testing
/// only: ILGPU's CPU accelerator runs the GPU kernels and stands in for one or more CUDA devices;
/// it is never chosen unless asked for.
/// </summary>
public enum GpuBackendKind
{
    Cuda,
    IlgpuCpu,
}

/// <summary>The <c>--gpu-backend</c> value: <c>cuda</c>, <c>ilgpu-cpu</c> (one stand-in device) or <c>ilgpu-cpu:N</c>.</summary>
public sealed record GpuBackendChoice(GpuBackendKind Kind, int SimulatedDevices = 1)
{
    public static GpuBackendChoice Cuda { get; } = new(GpuBackendKind.Cuda, 0);

    /// <summary>
    /// Threads per group the CPU stand-ins give the grouped kernels (a power of two). 1 (the default)
    /// runs every group on one thread: ILGPU's CPU accelerator synchronises a group's threads with OS
    /// barriers at every shuffle, which would make whole-model tests minutes long. Kernel tests ask for
    /// more (warps of 2 or 4) so that the in-group reductions run as on a GPU.
    /// </summary>
    public int StandInGroup { get; init; } = 1;

    public static GpuBackendChoice IlgpuCpu(int devices = 1) => new(GpuBackendKind.IlgpuCpu, devices);

    public static GpuBackendChoice Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cuda") return Cuda;
        if (s == "ilgpu-cpu") return IlgpuCpu();
        if (s.StartsWith("ilgpu-cpu:", StringComparison.Ordinal) && int.TryParse(s["ilgpu-cpu:".Length..], out var n) && n is >= 1 and <= 8)
            return IlgpuCpu(n);
        throw new SharpInferException($"--gpu-backend {text}: expected cuda, ilgpu-cpu or ilgpu-cpu:N (N = 1..8, for testing)");
    }

    public override string ToString() => Kind == GpuBackendKind.Cuda ? "cuda" : SimulatedDevices == 1 ? "ilgpu-cpu" : $"ilgpu-cpu:{SimulatedDevices}";

    // Equality is the record's (StandInGroup included): GpuRuntime.Shared keeps one runtime per choice.
}
