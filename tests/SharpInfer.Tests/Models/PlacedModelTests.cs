using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Placement;
using SharpInfer.Tests.Placement;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Models;

/// <summary>
/// Loading goes through the plan: without --amx the model's plan is the plan of a CPU with no extra
/// types, and with --amx (REPACK here: no AMX on the test machines) the forward pass gives the same
/// tokens and, since the REPACK kernels compute ggml's vec_dot arithmetic, the same logits bit for bit.
/// </summary>
public sealed class PlacedModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> AllModels()
    {
        var data = new TheoryData<string>();
        foreach (var m in MicroModels) data.Add(TestPaths.Micro(m + ".gguf"));
        data.Add(TestPaths.Stories260K);
        return data;
    }

    private static readonly string[] MicroModels =
    [
        "micro-llama-F32", "micro-llama-F16", "micro-llama-BF16", "micro-qwen2-F32", "micro-qwen2-F16",
        "micro-qwen3-F32", "micro-qwen3-F16", "micro-llama-Q8_0", "micro-llama-Q4_0", "micro-llama-Q4_1",
        "micro-llama-Q5_0", "micro-llama-Q5_1", "micro-llama-Q2_K", "micro-llama-Q3_K", "micro-llama-Q4_K",
        "micro-llama-Q4_K_M", "micro-llama-Q5_K", "micro-llama-Q6_K", "micro-llama-IQ4_NL", "micro-llama-IQ4_XS",
        "micro-qwen2-Q8_0", "micro-qwen2-Q4_0", "micro-qwen2-Q4_K", "micro-qwen2-Q6_K",
        "micro-qwen3-Q8_0", "micro-qwen3-Q4_0", "micro-qwen3-Q4_K", "micro-qwen3-Q6_K",
    ];

    [Fact]
    public void EveryMicroFixtureIsCovered()
    {
        var onDisk = Directory.GetFiles(Path.GetDirectoryName(TestPaths.Micro("x"))!, "*.gguf").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(onDisk, MicroModels.Order());
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void PlanWithoutAmxIsThePlanOfACpuWithoutExtraTypes(string path)
    {
        using var model = Model.Load(TestPaths.Require(path));
        using var file = GgufFile.Open(path);
        var reference = Planner.Create(PlanInput.FromGguf(file), ModelParams.Default, new BackendSet(CpuBackend.CreateWithoutExtras()));
        Assert.Equal(PlanSerializer.ToText(reference), PlanSerializer.ToText(model.Plan));
        Assert.Equal(PlanSerializer.ToJson(reference), PlanSerializer.ToJson(model.Plan));
        Assert.Empty(model.Plan.Messages);
        Assert.All(model.Plan.Entries, e => Assert.Equal("CPU", e.BufferType.Name));
    }

    [Fact]
    public void LoadingWithoutAmxNeverTouchesExtraTypes()
    {
        var source = CountingExtraSource.AcceptingEverything();
        using var model = Model.Load(TestPaths.Require(TestPaths.Micro("micro-llama-Q8_0.gguf")), ModelParams.Default,
            new BackendSet(new CpuBackend([source])));
        Assert.True(source.Untouched);
        Assert.All(model.Plan.Entries, e => Assert.Equal("CPU", e.BufferType.Name));
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void AmxFlagGivesTheSameLogitsAndGreedyTokens(string path)
    {
        using var plain = Model.Load(TestPaths.Require(path));
        using var amx = Model.Load(path, new ModelParams { UseAmx = true });

        // The weights of each matrix live where the plan says, and Q4_0/Q8_0 layer matrices are repacked.
        int repacked = 0;
        foreach (var layer in amx.Weights.Layers)
            foreach (var w in new[] { layer.Wq, layer.Wk, layer.Wv, layer.Wo, layer.FfnGate, layer.FfnUp, layer.FfnDown })
            {
                Assert.Same(amx.Plan.Find(w.Name)!.BufferType, w.BufferType);
                if (w.BufferType is RepackBufferType) repacked++;
                if (RepackBufferType.Repacks(w.Type) && RepackLayout.CanPack(w.Type, w.Columns, w.Rows))
                    Assert.IsType<RepackBufferType>(w.BufferType);
            }
        output.WriteLine($"{Path.GetFileName(path)}: {repacked} layer matrices in CPU_REPACK");

        var cp = new ContextParams { ContextLength = 128 };
        using var c0 = plain.CreateContext(cp);
        using var c1 = amx.CreateContext(cp);
        int[] prompt = [1, 5, 9, 2, 7, 3, 11, 4];
        for (var i = 0; i < prompt.Length; i++) prompt[i] %= plain.VocabSize;

        // The REPACK kernels sum block products in ggml's generic order, the plain kernels in ggml-cpu's
        // x86 order, so the two may differ in the last bits and, through a Q8 activation rounding the
        // other way, by one flip (ReferenceTolerances.QuantizedActivations). Both models are fed the
        // same tokens; greedy choices must agree wherever the top-2 gap exceeds that tolerance.
        const float tolerance = ReferenceTolerances.QuantizedActivations;
        var maxDiff = 0f;
        c0.Decode(prompt);
        c1.Decode(prompt);
        for (var i = 0; i < prompt.Length; i++)
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(c0.GetLogits(i), c1.GetLogits(i), $"prompt position {i}", tolerance));

        // Greedy generation, one token per batch (the Gemv path).
        Span<int> one = stackalloc int[1];
        for (var s = 0; s < 12; s++)
        {
            var l0 = c0.GetLogits(-1);
            var l1 = c1.GetLogits(-1);
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(l0, l1, $"step {s}", tolerance));
            var next = ReferenceComparison.ArgMax(l0);
            if (TopTwoGap(l0) > tolerance) Assert.Equal(next, ReferenceComparison.ArgMax(l1));
            one[0] = next;
            c0.Decode(one);
            c1.Decode(one);
        }
        output.WriteLine($"{Path.GetFileName(path)}: max |logit diff| with --amx {maxDiff:G3}");
    }

    private static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b, string where, float tolerance)
    {
        var max = 0f;
        for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        Assert.True(max <= tolerance, $"{where}: max |logit diff| {max} > {tolerance}");
        return max;
    }

    private static float TopTwoGap(ReadOnlySpan<float> logits)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (var v in logits)
        {
            if (v > first) { second = first; first = v; }
            else if (v > second) second = v;
        }
        return first - second;
    }

    [Fact]
    public void AmxFlagPlanRepacksQ8_0LayersAndSaysWhy()
    {
        using var model = Model.Load(TestPaths.Require(TestPaths.Micro("micro-llama-Q8_0.gguf")), new ModelParams { UseAmx = true });
        Assert.Contains(model.Plan.Buffers, b => b.Name == RepackBufferType.TypeName);
        Assert.NotEmpty(model.Plan.Messages);
        // Embeddings, norms and the output stay in the file's layout.
        Assert.Equal("CPU", model.Plan.Find("token_embd.weight")!.BufferType.Name);
        Assert.Equal("CPU", model.Plan.Find("output_norm.weight")!.BufferType.Name);
        Assert.Equal("CPU", model.Plan.Find("blk.0.attn_norm.weight")!.BufferType.Name);
    }
}
