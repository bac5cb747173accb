using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Numerics;
using SharpInfer.Placement;
using System.Text.RegularExpressions;
using SharpInfer.Tests.Amx.Interpreter;
using SharpInfer.Tests.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// The AMX buffer type: its probe on this machine, ggml's acceptance rules, and — with the tile
/// programs run by the managed interpreter (test infrastructure only) — the whole forward pass
/// through the AMX kernels against the plain path.
/// </summary>
public sealed unsafe class AmxBufferTypeTests(ITestOutputHelper output)
{
    private static readonly BackendDevice Cpu = new("CPU", DeviceKind.Cpu, "CPU", "host CPU", 0, 0);

    private static AmxBufferType Interpreted() =>
        (AmxBufferType)AmxBufferTypeSource.WithRunner(new InterpretedTileRunner(X64Abi.Native)).Probe().Type!;

    [Fact]
    public void ProbeFollowsAmxSupport()
    {
        var probe = new AmxBufferTypeSource().Probe();
        var status = AmxSupport.Status;
        if (status.IsAvailable) Assert.IsType<AmxBufferType>(probe.Type);
        else
        {
            Assert.Null(probe.Type);
            Assert.Equal(status.Reason, probe.MissingReason);
        }
        Assert.Equal("AMX", CpuBackend.CreateDefault().ExtraBufferTypes[0].Name);
        Assert.IsType<AmxBufferTypeSource>(CpuBackend.CreateDefault().ExtraBufferTypes[0]);
    }

    [Fact]
    public void PlanCommandSaysWhyAmxIsMissing()
    {
        var status = AmxSupport.Status;
        var r = CliRunner.Run("plan", "-m", TestPaths.Require(TestPaths.Micro("micro-llama-Q8_0.gguf")), "--amx");
        Assert.Equal(0, r.ExitCode);
        var all = r.Stdout + r.Stderr;
        if (status.IsAvailable) Assert.Contains(" AMX ", all);
        else
        {
            Assert.Contains($"AMX: {status.Reason}", all);
            Assert.Contains("CPU_REPACK", all);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q8_0, 32, 32, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q8_0, 32, 16, WeightOp.MatMul, false)]    // ggml's supports_op: out_features % 32
    [InlineData(GgmlType.Q8_0, 256, 24, WeightOp.MatMul, false)]   // N % 16 != 0
    [InlineData(GgmlType.Q8_0, 256, 512, WeightOp.GetRows, false)]
    [InlineData(GgmlType.Q4_0, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q4_0, 32, 32, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q4_0, 32, 48, WeightOp.MatMul, false)]    // N % 32 != 0
    [InlineData(GgmlType.Q4_0, 256, 24, WeightOp.MatMul, false)]   // N % 16 != 0
    [InlineData(GgmlType.Q4_0, 256, 512, WeightOp.GetRows, false)]
    [InlineData(GgmlType.Q4_1, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q4_1, 48, 512, WeightOp.MatMul, false)]   // K % 32 != 0
    [InlineData(GgmlType.Q5_0, 256, 512, WeightOp.MatMul, false)]  // no AMX kernels in ggml either
    [InlineData(GgmlType.Q4_K, 256, 512, WeightOp.MatMul, true)]    // ggml: qtype_has_amx_kernels
    [InlineData(GgmlType.Q6_K, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q5_K, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.IQ4_XS, 256, 512, WeightOp.MatMul, true)]
    [InlineData(GgmlType.Q4_K, 256, 48, WeightOp.MatMul, false)]   // N % 32 != 0
    [InlineData(GgmlType.F16, 256, 512, WeightOp.MatMul, true)]    // kept as it is, AVX-512 kernel (F16AmxGemmTests)
    public void AcceptsWhatGgmlsAmxBufferAccepts(GgmlType type, long k, long n, WeightOp op, bool expected)
    {
        var t = new GgufTensorInfo("w", type, [k, n], 0);
        Assert.Equal(expected, Interpreted().SupportsWeight(t, op));
    }

    [Fact]
    public void WriteTensorPacksLikeQ8_0AmxLayout()
    {
        int n = 32, k = 64;
        var rng = new Random(3);
        var file = RandomQ8_0(rng, n, k);
        var t = new GgufTensorInfo("w", GgmlType.Q8_0, [k, n], 0);
        var amx = Interpreted();
        Assert.False(amx.KeepsFileLayout);
        Assert.Equal(Q8_0AmxLayout.PackedBytes(n, k), amx.GetAllocSize(t));
        using var buffer = amx.Allocate(amx.GetAllocSize(t));
        amx.WriteTensor(buffer.Data, t, file);
        Assert.Equal(Q8_0AmxLayout.Pack(file, n, k), new ReadOnlySpan<byte>(buffer.Data, (int)buffer.Size).ToArray());
    }

    [Fact]
    public void WriteTensorPacksQ4_0LikeQ4_0AmxLayout()
    {
        int n = 64, k = 96;
        var file = Q4_0TileMatmulTests.RandomQ4_0Rows(new Random(7), n, k);
        var t = new GgufTensorInfo("w", GgmlType.Q4_0, [k, n], 0);
        var amx = Interpreted();
        Assert.Equal(Q4_0AmxLayout.PackedBytes(n, k), amx.GetAllocSize(t));
        Assert.Equal(t.ByteSize, amx.GetAllocSize(t)); // 288-byte tiles = 16 block_q4_0: same size as the file
        using var buffer = amx.Allocate(amx.GetAllocSize(t));
        amx.WriteTensor(buffer.Data, t, file);
        Assert.Equal(Q4_0AmxLayout.Pack(file, n, k), new ReadOnlySpan<byte>(buffer.Data, (int)buffer.Size).ToArray());
    }

    [Theory]
    [InlineData(16, 32)]
    [InlineData(48, 96)]
    [InlineData(64, 256)]
    public void GemvEqualsTheTilePathToTheBit(int n, int k)
    {
        var rng = new Random(n + k);
        var packed = Q8_0AmxLayout.Pack(RandomQ8_0(rng, n, k), n, k);
        var act = RandomQ8_0(rng, 1, k);
        var tiles = new float[n];
        var vector = new float[n];
        new Q8_0TileMatmul(new InterpretedTileRunner(X64Abi.Native)).Multiply(act, 1, k, packed, n, tiles);
        fixed (byte* pw = packed) fixed (byte* pa = act) fixed (float* y = vector)
        {
            Q8_0AmxGemv.Multiply(pw, k, pa, y, 0, 16);          // split as two threads would
            Q8_0AmxGemv.Multiply(pw, k, pa, y, 16, n);
        }
        Assert.Equal(tiles, vector);
    }

    public static TheoryData<string> AmxMicro() => new()
    {
        "micro-llama-Q8_0", "micro-qwen2-Q8_0", "micro-qwen3-Q8_0",
        "micro-llama-Q4_0", "micro-qwen2-Q4_0", "micro-qwen3-Q4_0",
        "micro-llama-Q4_1",
        "micro-llama-Q4_K", "micro-qwen2-Q4_K", "micro-qwen3-Q4_K",
        "micro-llama-Q5_K",
        "micro-llama-Q6_K", "micro-qwen2-Q6_K", "micro-qwen3-Q6_K",
        "micro-llama-IQ4_XS",
    };

    /// <summary>
    /// The forward pass with AMX weights (tile programs interpreted) against the plain CPU path.
    /// Q8_0, Q4_0 and Q4_1 files (activations in the weight's vec_dot type, Q8_0 or Q8_1, on both paths).
    /// Both compute the exact integer block sums; they differ only in how the block scales are summed
    /// (ggml's AMX: fma(isum, d_w·d_a, C); the plain vec_dot: its own lane order), i.e. float rounding
    /// of the last bit, which can flip an activation's Q8_0 rounding downstream; the type's tolerance
    /// (one flip) bounds it.
    /// </summary>
    [Theory]
    [MemberData(nameof(AmxMicro))]
    public void ForcedAmxPathMatchesThePlainPath(string name)
    {
        var path = TestPaths.Require(TestPaths.Micro(name + ".gguf"));
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var (plain, amx) = ForcedAmxModels.Load(path, runner);
        using var _ = plain;
        using var __ = amx;

        int amxMatrices = 0;
        var table = PlanFormatter.Table(amx.Plan).Split('\n');
        foreach (var layer in amx.Weights.Layers)
            foreach (var w in new[] { layer.Wq, layer.Wk, layer.Wv, layer.Wo, layer.FfnGate, layer.FfnUp, layer.FfnDown })
            {
                Assert.Same(amx.Plan.Find(w.Name)!.BufferType, w.BufferType);
                Assert.IsType<AmxBufferType>(w.BufferType); // every layer matrix of these fixtures fits ggml's rules
                amxMatrices++;
                // what `plan --amx` prints for it: name, type, ..., buffer type AMX
                var row = table.Single(l => l.StartsWith(w.Name + " ", StringComparison.Ordinal));
                Assert.Matches($@"^{Regex.Escape(w.Name)}\s+{w.Type}\s.*\sAMX\s", row);
            }
        Assert.Equal("AMX", amx.Plan.Buffers.First(b => !b.Mapped).Name);
        Assert.IsNotType<AmxBufferType>(amx.Weights.Output.BufferType);

        float maxDiff = ForcedAmxModels.GreedyMaxDiff(plain, amx);
        Assert.True(runner.Calls > 0, "the tile programs never ran");
        Assert.False(runner.AnyThreadConfigured, "a thread kept its tile config after its matmuls");
        output.WriteLine($"{name}: {amxMatrices} AMX matrices ({amx.Weights.Layers[0].Wq.Type}), {runner.Calls} tile program runs, max |logit diff| vs plain {maxDiff:G3}");
        Assert.True(maxDiff < ReferenceTolerances.QuantizedActivations, $"max |logit diff| {maxDiff}");
    }

    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float m = 0;
        for (var i = 0; i < a.Length; i++) m = Math.Max(m, MathF.Abs(a[i] - b[i]));
        return m;
    }

    private static byte[] RandomQ8_0(Random rng, int rows, int k)
    {
        var bytes = new byte[rows * (k / 32) * 34];
        for (int b = 0; b < bytes.Length; b += 34)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(b, 2), (Half)(rng.NextSingle() * 0.02f + 0.001f));
            for (int i = 0; i < 32; i++) bytes[b + 2 + i] = (byte)(sbyte)rng.Next(-127, 128);
        }
        return bytes;
    }
}
