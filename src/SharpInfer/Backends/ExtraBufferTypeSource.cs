namespace SharpInfer.Backends;

/// <summary>
/// The answer of probing for an extra buffer type: the type, or why this machine or build has none.
/// </summary>
public sealed record ExtraBufferTypeProbe(BufferType? Type, string? MissingReason)
{
    public static ExtraBufferTypeProbe Available(BufferType type) => new(type, null);
    public static ExtraBufferTypeProbe Missing(string reason) => new(null, reason);
}

/// <summary>
/// A registration of an opt-in CPU buffer type (AMX, REPACK). Registering costs nothing: the type
/// is only created — and the CPU only probed — when <see cref="Probe"/> is called, which the planner
/// does only under <c>--amx</c>. That is what makes "off" equal to "absent".
/// </summary>
public interface IExtraBufferTypeSource
{
    /// <summary>Name of the buffer type this source offers (plain data, safe to read at any time).</summary>
    string Name { get; }

    /// <summary>Creates the buffer type if this machine can run it.</summary>
    ExtraBufferTypeProbe Probe();
}

/// <summary>A registration slot with nothing behind it (e.g. AMX in a build without AMX kernels).</summary>
public sealed class MissingExtraBufferType(string name, string reason) : IExtraBufferTypeSource
{
    public string Name { get; } = name;
    public ExtraBufferTypeProbe Probe() => ExtraBufferTypeProbe.Missing(reason);
}
