using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Backends.Cpu.Repack;

namespace SharpInfer.Backends.Cpu;

/// <summary>
/// The CPU: its plain buffer type, and an ordered list of registered extra buffer types (AMX first
/// when it exists, then REPACK). The registrations are inert data until probed; see
/// <see cref="IExtraBufferTypeSource"/>.
/// </summary>
public sealed class CpuBackend : Backend
{
    public CpuBackend(IReadOnlyList<IExtraBufferTypeSource>? extraBufferTypes = null, BackendDevice? device = null)
    {
        Device = device ?? new BackendDevice("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0);
        DefaultBufferType = new CpuBufferType(Device);
        ExtraBufferTypes = extraBufferTypes ?? [];
    }

    public override BackendDevice Device { get; }
    public override BufferType DefaultBufferType { get; }

    /// <summary>Registered extra types in priority order. Reading the list probes nothing.</summary>
    public IReadOnlyList<IExtraBufferTypeSource> ExtraBufferTypes { get; }

    /// <summary>Name under which the AMX buffer type registers.</summary>
    public const string AmxName = "AMX";

    /// <summary>
    /// The standard CPU: [AMX, REPACK]. The AMX slot is <paramref name="amx"/> when given, else
    /// <see cref="AmxBufferTypeSource"/>, whose probe (only under --amx) says why a machine has no AMX.
    /// </summary>
    public static CpuBackend CreateDefault(IExtraBufferTypeSource? amx = null) =>
        new([amx ?? new AmxBufferTypeSource(), new RepackBufferTypeSource()]);

    /// <summary>A CPU with no extra buffer types at all: the reference that "--amx off" must equal.</summary>
    public static CpuBackend CreateWithoutExtras() => new([]);
}
