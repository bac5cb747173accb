namespace SharpInfer.Backends.Gpu;

/// <summary>
/// A GPU: its device memory, the family's pinned host type and the family's row-split type.
/// A backend described by data only (<see cref="Runtime"/> null) serves plans; one with a
/// <see cref="GpuDevice"/> also runs the offloaded layers.
/// </summary>
public sealed class GpuBackend : Backend
{
    public GpuBackend(GpuDevice device) : this(device.Info) => Runtime = device;

    public GpuBackend(BackendDevice device)
    {
        if (device.Kind != DeviceKind.Gpu) throw new ArgumentException($"{device.Name} is not a GPU", nameof(device));
        Device = device;
        DefaultBufferType = new GpuDeviceBufferType(device);
        HostBufferType = new GpuHostBufferType(device.Family);
    }

    public override BackendDevice Device { get; }
    public override BufferType DefaultBufferType { get; }
    public override BufferType HostBufferType { get; }

    /// <summary>The live device, or null for a described (simulated-for-planning) one.</summary>
    public GpuDevice? Runtime { get; }
}
