namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// Whether this process can run AMX tile code, and if not, one line saying why
/// (e.g. "CPU has no AMX-INT8", "kernel refused XTILEDATA permission: …", "not x86-64").
/// </summary>
/// <param name="IsAvailable">Tiles are usable by every thread of this process (INT8 at least).</param>
/// <param name="HasInt8">The CPU reports AMX-INT8 (tdpbssd and friends).</param>
/// <param name="HasBf16">The CPU reports AMX-BF16 (tdpbf16ps).</param>
/// <param name="Reason">Null when available; otherwise why AMX is not offered.</param>
public sealed record AmxStatus(bool IsAvailable, bool HasInt8, bool HasBf16, string? Reason)
{
    public static AmxStatus Unavailable(string reason, bool int8 = false, bool bf16 = false) =>
        new(false, int8, bf16, reason);

    public override string ToString() =>
        IsAvailable ? $"AMX available (INT8{(HasBf16 ? ", BF16" : "")})" : $"AMX unavailable: {Reason}";
}
