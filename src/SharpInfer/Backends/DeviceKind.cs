namespace SharpInfer.Backends;

/// <summary>What kind of device a backend drives.</summary>
public enum DeviceKind
{
    Cpu,
    Gpu,
}
