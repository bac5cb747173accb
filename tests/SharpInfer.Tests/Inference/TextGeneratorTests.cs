using SharpInfer.Inference;
using SharpInfer.Inference.Sampling;
using SharpInfer.Models;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Inference;

public class TextGeneratorTests
{
    [Fact]
    public async Task StreamsTextAndHonoursCancellation()
    {
        using var model = Model.Load(TestPaths.Stories260K);
        using var context = model.CreateContext(new ContextParams { ContextLength = 256 });
        var generator = new TextGenerator(context, new SamplerParams { Seed = 5 });
        using var cts = new CancellationTokenSource();
        var pieces = new List<string>();
        await foreach (var piece in generator.Generate("Once upon a time", 200, cts.Token))
        {
            pieces.Add(piece);
            if (pieces.Count == 5) cts.Cancel();
        }
        Assert.Equal(5, pieces.Count);
        Assert.Equal(StopReason.Cancelled, generator.Stats.StopReason);
        Assert.Equal(5, generator.Stats.GeneratedTokens);
    }

    [Fact]
    public async Task GreedyGenerationEqualsLlamaCppsContinuation()
    {
        var reference = System.Text.Json.JsonDocument.Parse(
            File.ReadAllText(Path.Combine(TestPaths.Reference, "stories260K.p1.kvf16.json"))).RootElement;
        var expected = reference.GetProperty("greedy_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var model = Model.Load(TestPaths.Stories260K);
        using var context = model.CreateContext(new ContextParams { ContextLength = 512 });
        var generator = new TextGenerator(context, new SamplerParams { Temperature = 0 });
        var text = "";
        await foreach (var piece in generator.Generate(reference.GetProperty("prompt").GetString()!, expected.Length))
            text += piece;
        Assert.Equal(expected, generator.GeneratedTokens);
        Assert.Equal(reference.GetProperty("greedy_text").GetString(), text);
        Assert.Equal(StopReason.TokenLimit, generator.Stats.StopReason);
        Assert.Equal(expected.Length - 1, generator.Stats.EvalTokens);
    }
}

public class ModelLoadProgressTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProgressRisesToOne(bool mmap)
    {
        var seen = new List<float>();
        using var model = SharpInfer.Models.Model.Load(TestPaths.Micro("micro-llama-Q4_0.gguf"),
            new SharpInfer.Models.ModelParams { UseMmap = mmap, UseAmx = true, Progress = seen.Add });
        Assert.NotEmpty(seen);
        Assert.Equal(1f, seen[^1]);
        for (var i = 1; i < seen.Count; i++) Assert.True(seen[i] >= seen[i - 1], $"progress went back from {seen[i - 1]} to {seen[i]}");
        if (!mmap) Assert.Contains(seen, f => f > 0 && f <= 0.5f);
    }
}
