using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SharpInfer.Backends.Gpu;

/// <summary>
/// The ILGPU context and the GPU devices it found. With <see cref="GpuBackendKind.Cuda"/> these are
/// the NVIDIA devices the driver reports (none without a driver); with <see cref="GpuBackendKind.IlgpuCpu"/>
/// ILGPU's CPU accelerator stands in for CUDA0, CUDA1, … (for tests on machines without a GPU).
/// Dispose after everything that uses the devices.
/// </summary>
public sealed class GpuRuntime : IDisposable
{
    private readonly Context? _context;
    private readonly List<Accelerator> _accelerators;

    private GpuRuntime(Context? context, List<Accelerator> accelerators, IReadOnlyList<GpuDevice> devices, GpuBackendChoice choice, string? problem)
    {
        _context = context;
        _accelerators = accelerators;
        Devices = devices;
        Choice = choice;
        Problem = problem;
    }

    public IReadOnlyList<GpuDevice> Devices { get; }
    public GpuBackendChoice Choice { get; }

    /// <summary>Why no device was found (no driver, a driver error), or null.</summary>
    public string? Problem { get; }

    /// <summary>Whether the devices are ILGPU's CPU accelerator standing in for GPUs.</summary>
    public bool IsSimulated => Choice.Kind == GpuBackendKind.IlgpuCpu;

    private static readonly Dictionary<GpuBackendChoice, GpuRuntime> SharedRuntimes = [];

    /// <summary>
    /// The process-wide runtime for <paramref name="choice"/>, opened on first use and kept (as
    /// llama.cpp registers its backends once per process): devices are probed and kernels compiled
    /// once, not per model load. Models do not dispose it.
    /// </summary>
    public static GpuRuntime Shared(GpuBackendChoice choice)
    {
        lock (SharedRuntimes)
        {
            if (!SharedRuntimes.TryGetValue(choice, out var runtime))
                SharedRuntimes[choice] = runtime = Open(choice);
            return runtime;
        }
    }

    /// <summary>Opens a runtime of its own (the caller disposes it).</summary>
    public static GpuRuntime Open(GpuBackendChoice choice) =>
        choice.Kind == GpuBackendKind.IlgpuCpu ? OpenCpuStandIns(choice) : OpenCuda(choice);

    private static GpuRuntime OpenCuda(GpuBackendChoice choice)
    {
        FindDriverBySoname();
        Context? context = null;
        var accelerators = new List<Accelerator>();
        try
        {
            context = Context.Create(b => b.Cuda().Optimize(OptimizationLevel.O1));
            var devices = new List<GpuDevice>();
            var cuda = context.GetCudaDevices();
            for (int i = 0; i < cuda.Count; i++)
            {
                var acc = cuda[i].CreateCudaAccelerator(context);
                accelerators.Add(acc);
                long free = 0, total = acc.MemorySize;
                acc.Bind();
                if (CudaAPI.CurrentAPI.GetMemoryInfo(out long f, out long t) == CudaError.CUDA_SUCCESS) { free = f; total = t; }
                var info = new BackendDevice($"CUDA{i}", DeviceKind.Gpu, "CUDA", cuda[i].Name, total, free);
                // double data rate: 2 transfers per memory clock over the bus width (bits). ILGPU gives the
                // clock in MHz (the driver's kHz / 1000): an H200 reports 3201 MHz × 6144 bits = 4.9 TB/s.
                double bandwidth = 2.0 * cuda[i].MemoryClockRate * 1e6 * cuda[i].MemoryBusWidth / 8.0;
                devices.Add(new GpuDevice(info, acc) { PeakBandwidth = bandwidth });
            }
            return new GpuRuntime(context, accelerators, devices, choice, devices.Count == 0 ? "no CUDA device" : null);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException or InvalidOperationException)
        {
            foreach (var a in accelerators) a.Dispose();
            context?.Dispose();
            return new GpuRuntime(null, [], [], choice, $"CUDA unavailable: {e.GetBaseException().Message}");
        }
    }

    private static int _resolverInstalled;

    /// <summary>
    /// ILGPU imports the driver as "cuda", which Linux resolves to libcuda.so: a name only the CUDA
    /// development packages provide. A machine with the driver alone has libcuda.so.1 (what the
    /// driver's own tools load), so that soname is tried when the plain name is not found.
    /// </summary>
    private static void FindDriverBySoname()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _resolverInstalled, 1) != 0) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, ResolveDriver);
        }
        catch (InvalidOperationException)
        {
            // ILGPU (or a host application) resolves its imports itself: leave that to it.
        }
    }

    private static IntPtr ResolveDriver(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "cuda") return IntPtr.Zero;
        if (NativeLibrary.TryLoad("libcuda.so", assembly, searchPath, out var handle)) return handle;
        return NativeLibrary.TryLoad("libcuda.so.1", out handle) ? handle : IntPtr.Zero;
    }

    private static GpuRuntime OpenCpuStandIns(GpuBackendChoice choice)
    {
        // Small groups: the CPU accelerator runs each group's threads on its own worker threads and
        // synchronises them at every barrier and shuffle (see GpuBackendChoice.StandInGroup).
        int group = choice.StandInGroup;
        if (group < 1 || (group & (group - 1)) != 0 || group > 64) throw new ArgumentException($"stand-in group {group}: a power of two up to 64");
        int warp = Math.Clamp(group, 2, 4); // ILGPU's CPU warps have at least 2 threads
        var cpu = new CPUDevice(numThreadsPerWarp: warp, numWarpsPerMultiprocessor: Math.Max(1, group / warp), numMultiprocessors: Math.Max(1, Environment.ProcessorCount));
        var context = Context.Create(b => b.CPU(cpu).Optimize(OptimizationLevel.O1));
        var accelerators = new List<Accelerator>();
        var devices = new List<GpuDevice>();
        for (int i = 0; i < choice.SimulatedDevices; i++)
        {
            var acc = cpu.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
            accelerators.Add(acc);
            // Memory unknown (0): the planner then splits equally (or by -ts) and checks no fit.
            var info = new BackendDevice($"CUDA{i}", DeviceKind.Gpu, "CUDA", $"ILGPU CPU accelerator standing in for CUDA{i} (testing)", 0, 0);
            devices.Add(new GpuDevice(info, acc) { MaxGroup = group });
        }
        return new GpuRuntime(context, accelerators, devices, choice, null);
    }

    public void Dispose()
    {
        foreach (var a in _accelerators) a.Dispose();
        _accelerators.Clear();
        _context?.Dispose();
    }
}
