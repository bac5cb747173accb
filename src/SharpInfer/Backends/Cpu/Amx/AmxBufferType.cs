using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// ggml's <c>AMX</c> buffer type: host memory holding Q8_0 / Q4_0 / Q4_1 matrices repacked into
/// <see cref="Q8_0AmxLayout"/> / <see cref="Q4_0AmxLayout"/> / <see cref="Q4_1AmxLayout"/> (and the K-quants and IQ4_XS
/// into layouts of ours) on write, F16 matrices as they are; read only by <see cref="AmxMatMul"/>. Accepts a weight,
/// as ggml's AMX buffer does, only for plain 2-D matrix multiplication with a type it has kernels for, N % 32 == 0
/// (the layouts need 16) and K a multiple of the type's alignment (32 for Q4_0/Q4_1/Q8_0, 256 for the K-quants and
/// IQ4_XS, 16 for F16: ggml-cpu's amx supports_op). Created only by <see cref="AmxBufferTypeSource"/>.
/// </summary>
public sealed class AmxBufferType : BufferType
{
    /// <summary>ggml-cpu's AMX buffer alignment (TENSOR_ALIGNMENT is 64 there).</summary>
    public const int TensorAlignment = 64;

    internal AmxBufferType(BackendDevice device, ITileProgramRunner runner)
    {
        Device = device;
        Kernels = new AmxMatMul(runner);
    }

    public override string Name => CpuBackend.AmxName;
    public override BackendDevice Device { get; }
    public override bool IsHost => true;
    public override int Alignment => TensorAlignment;
    public override bool KeepsFileLayout => false;

    /// <summary>The kernels that read this type's bytes.</summary>
    internal AmxMatMul Kernels { get; }

    public override bool SupportsWeight(GgufTensorInfo tensor, WeightOp op)
    {
        if (op != WeightOp.MatMul) return false;
        var d = tensor.Dimensions;
        if (d.Length != 2 || d[0] > int.MaxValue || d[1] > int.MaxValue) return false;
        // ggml's AMX supports_op also wants out_features (N) a multiple of 2·TILE_N = 32, though its layout needs 16
        return AmxMatMul.Supports(tensor.Type) && d[1] % 32 == 0 && AmxMatMul.CanPack(tensor.Type, (int)d[1], (int)d[0]);
    }

    public override long GetAllocSize(GgufTensorInfo tensor) =>
        SupportsWeight(tensor, WeightOp.MatMul)
            ? AmxMatMul.PackedBytes(tensor.Type, (int)tensor.Dimensions[1], (int)tensor.Dimensions[0])
            : tensor.ByteSize;

    public override BackendBuffer Allocate(long size) => BackendBuffer.AllocateHost(this, size);

    public override unsafe void WriteTensor(byte* destination, GgufTensorInfo tensor, ReadOnlySpan<byte> fileBytes)
    {
        if (!SupportsWeight(tensor, WeightOp.MatMul))
            throw new ArgumentException($"{tensor.Name}: {tensor.Type} {tensor.ShapeString} cannot live in {Name}");
        int n = (int)tensor.Dimensions[1], k = (int)tensor.Dimensions[0];
        var packed = AmxMatMul.Pack(tensor.Type, fileBytes, n, k);
        packed.CopyTo(new Span<byte>(destination, packed.Length));
    }
}

/// <summary>
/// Registration of the AMX buffer type, first in the CPU's list. Probing asks <see cref="AmxSupport"/>
/// (which requests Linux tile permission), so it happens only under <c>--amx</c>; on a machine
/// without AMX the probe says why in one line ("CPU has no AMX-INT8").
/// </summary>
public sealed class AmxBufferTypeSource : IExtraBufferTypeSource
{
    private readonly Func<ITileProgramRunner>? _runner;
    private readonly BackendDevice _device;

    public AmxBufferTypeSource(BackendDevice? device = null) : this(device, null) { }

    private AmxBufferTypeSource(BackendDevice? device, Func<ITileProgramRunner>? runner)
    {
        _device = device ?? new BackendDevice("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0);
        _runner = runner;
    }

    /// <summary>
    /// Test infrastructure: an AMX type that runs its tile programs through <paramref name="runner"/>
    /// (the managed interpreter), so the AMX path can be proven on machines without AMX. Never a
    /// fallback users get.
    /// </summary>
    internal static AmxBufferTypeSource WithRunner(ITileProgramRunner runner, BackendDevice? device = null) =>
        new(device, () => runner);

    public string Name => CpuBackend.AmxName;

    public ExtraBufferTypeProbe Probe()
    {
        if (_runner is not null) return ExtraBufferTypeProbe.Available(new AmxBufferType(_device, _runner()));
        var status = AmxSupport.Status;
        if (!status.IsAvailable) return ExtraBufferTypeProbe.Missing(status.Reason ?? "not available");
        return ExtraBufferTypeProbe.Available(new AmxBufferType(_device, new NativeTileProgramRunner()));
    }
}
