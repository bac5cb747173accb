namespace SharpInfer.Backends.Gpu;

/// <summary>
/// A GPU: its device memory, the family's pinned host type and the family's row-split type.
/// There is no GPU runtime yet: the types carry the facts the planner needs, and allocating device
/// memory says so.
/// </summary>
public sealed class GpuBackend : Backend
{
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
}
