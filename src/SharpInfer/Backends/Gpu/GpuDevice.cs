using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using SharpInfer.Backends.Gpu.Kernels;

namespace SharpInfer.Backends.Gpu;

/// <summary>A live GPU (or its CPU-accelerator stand-in): its description for the planner, its accelerator and kernels.</summary>
public sealed class GpuDevice
{
    private KernelSet? _kernels;

    internal GpuDevice(BackendDevice info, Accelerator accelerator)
    {
        Info = info;
        Accelerator = accelerator;
    }

    public BackendDevice Info { get; }

    /// <summary>Peak memory bandwidth in bytes/s from the memory clock and bus width (CUDA devices; 0 when unknown).</summary>
    public double PeakBandwidth { get; init; }
    internal Accelerator Accelerator { get; }

    /// <summary>Most threads per group the grouped kernels use (the accelerator's own limit when larger).</summary>
    internal int MaxGroup { get; init; } = int.MaxValue;

    /// <summary>The kernels, compiled for this accelerator on first use.</summary>
    internal KernelSet Kernels => _kernels ??= new KernelSet(Accelerator, MaxGroup);

    /// <summary>
    /// Free device memory now (CUDA: the driver's count, so after this process's weights were
    /// uploaded), or −1 where unknown (the CPU stand-ins).
    /// </summary>
    internal long FreeMemoryNow()
    {
        if (Accelerator is not CudaAccelerator) return -1;
        Accelerator.Bind();
        return CudaAPI.CurrentAPI.GetMemoryInfo(out long free, out _) == CudaError.CUDA_SUCCESS ? free : -1;
    }

    public override string ToString() => $"{Info.Name}: {Info.Description}";
}
