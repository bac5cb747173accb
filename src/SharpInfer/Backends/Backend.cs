namespace SharpInfer.Backends;

/// <summary>One device and the buffer types it offers.</summary>
public abstract class Backend
{
    public abstract BackendDevice Device { get; }

    /// <summary>The device's own memory in the file's layout (<c>CPU</c>, <c>CUDA0</c>).</summary>
    public abstract BufferType DefaultBufferType { get; }

    /// <summary>Pinned host memory this device copies from fast (<c>CUDA_Host</c>); null for the CPU.</summary>
    public virtual BufferType? HostBufferType => null;

    public override string ToString() => Device.Name;
}
