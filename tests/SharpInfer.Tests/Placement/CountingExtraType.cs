using SharpInfer.Backends;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Tests.Placement;

/// <summary>
/// An extra buffer type that records every use. Registered on the CPU, it proves that a plan never
/// touched it: no probe, no SupportsWeight, no sizing, no allocation, no write.
/// </summary>
public sealed class CountingExtraType : BufferType
{
    public CountingExtraType(string name, Func<GgufTensorInfo, WeightOp, bool> accepts)
    {
        _name = name;
        _accepts = accepts;
    }

    private readonly string _name;
    private readonly Func<GgufTensorInfo, WeightOp, bool> _accepts;
    private static readonly BackendDevice Cpu = new("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0);

    public int Calls { get; private set; }

    public override string Name => _name;
    public override BackendDevice Device => Cpu;
    public override bool IsHost => true;
    public override int Alignment => 64;
    public override bool KeepsFileLayout => false;

    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op)
    {
        Calls++;
        return _accepts(tensor, op);
    }

    public override long GetAllocSize(GgufTensorInfo tensor)
    {
        Calls++;
        return tensor.ByteSize;
    }

    public override BackendBuffer Allocate(long size)
    {
        Calls++;
        return BackendBuffer.AllocateHost(this, size);
    }

    public override unsafe void WriteTensor(byte* destination, GgufTensorInfo tensor, ReadOnlySpan<byte> fileBytes)
    {
        Calls++;
        base.WriteTensor(destination, tensor, fileBytes);
    }
}

/// <summary>Registration of a <see cref="CountingExtraType"/>; counts probes.</summary>
public sealed class CountingExtraSource(CountingExtraType type) : IExtraBufferTypeSource
{
    public CountingExtraType Type { get; } = type;
    public int Probes { get; private set; }
    public string Name => "COUNTING";

    public ExtraBufferTypeProbe Probe()
    {
        Probes++;
        return ExtraBufferTypeProbe.Available(Type);
    }

    /// <summary>No probe and no call on the type.</summary>
    public bool Untouched => Probes == 0 && Type.Calls == 0;

    /// <summary>A type that accepts every weight: the planner's own rules must keep norms, experts, … away from it.</summary>
    public static CountingExtraSource AcceptingEverything(string name = "GREEDY") => new(new CountingExtraType(name, (_, _) => true));
}
