using SharpInfer.Backends.Gpu;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// The devices GPU tests run on: ILGPU's CPU accelerator standing in for two CUDA devices, or real
/// CUDA devices when <c>SHARPINFER_GPU_TESTS=cuda</c> (tools/gpu-check.sh sets it; then a missing
/// device fails the tests rather than falling back).
/// </summary>
public static class GpuTestDevices
{
    public const string EnvironmentVariable = "SHARPINFER_GPU_TESTS";

    private static readonly Lazy<GpuRuntime> SharedRuntime = new(Open);
    private static readonly Lazy<GpuRuntime> GroupedRuntime = new(() => OnCuda ? SharedRuntime.Value : GpuRuntime.Shared(GroupedChoice));

    public static bool OnCuda => string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "cuda", StringComparison.OrdinalIgnoreCase);

    public static GpuBackendChoice Choice => OnCuda ? GpuBackendChoice.Cuda : GpuBackendChoice.IlgpuCpu(2);

    /// <summary>
    /// Stand-ins whose kernels run groups of 8 threads (2 warps of 4), so the in-group reductions
    /// (shuffles within a warp, shared memory across warps) run as on a GPU; slower than
    /// <see cref="Choice"/>'s one-thread groups, so for kernel tests and one small model. CUDA on CUDA.
    /// </summary>
    public static GpuBackendChoice GroupedChoice => OnCuda ? GpuBackendChoice.Cuda : GpuBackendChoice.IlgpuCpu(2) with { StandInGroup = 8 };

    /// <summary>The first device of <see cref="GroupedChoice"/>.</summary>
    public static GpuDevice Grouped => GroupedRuntime.Value.Devices[0];

    /// <summary>One runtime for the whole test run (compiling kernels once per device).</summary>
    public static GpuRuntime Runtime => SharedRuntime.Value;

    public static GpuDevice First => Runtime.Devices[0];

    private static GpuRuntime Open()
    {
        var runtime = GpuRuntime.Shared(Choice); // the same runtime Model.Load uses
        if (runtime.Devices.Count == 0)
            throw new InvalidOperationException($"{EnvironmentVariable}={Environment.GetEnvironmentVariable(EnvironmentVariable)}: no device ({runtime.Problem})");
        return runtime;
    }
}
