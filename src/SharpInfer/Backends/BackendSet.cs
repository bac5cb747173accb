using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Gpu;

namespace SharpInfer.Backends;

/// <summary>The backends available to a run: always one CPU backend, then GPU backends in device order.</summary>
public sealed class BackendSet
{
    public BackendSet(CpuBackend cpu, IReadOnlyList<GpuBackend>? gpus = null)
    {
        Cpu = cpu;
        Gpus = gpus ?? [];
    }

    public CpuBackend Cpu { get; }
    public IReadOnlyList<GpuBackend> Gpus { get; }

    /// <summary>This machine as SharpInfer runs on it today: the CPU with its standard extra types, no GPU.</summary>
    public static BackendSet Default() => new(CpuBackend.CreateDefault());

    /// <summary>The same CPU with simulated GPUs described by data.</summary>
    public BackendSet WithGpus(params BackendDevice[] devices) =>
        new(Cpu, devices.Select(d => new GpuBackend(d)).ToArray());
}
