using System.Text.Json;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Models;

/// <summary>One llama.cpp reference run (tests/fixtures/reference/NAME.json + NAME.logits.f32).</summary>
public sealed class ReferenceRun
{
    public required string Name { get; init; }
    public required string Model { get; init; }
    public required string KvCacheType { get; init; }
    public required int VocabSize { get; init; }
    public required int[] PromptTokens { get; init; }
    public required int[] GreedyTokens { get; init; }
    public required float[] GreedyTop2Gap { get; init; }

    /// <summary>[prompt position][vocab] logits, as llama.cpp computed them for the whole prompt in one batch.</summary>
    public required float[] Logits { get; init; }

    public ReadOnlySpan<float> LogitsAt(int position) => Logits.AsSpan(position * VocabSize, VocabSize);

    public static ReferenceRun Load(string name)
    {
        var json = TestPaths.Require(Path.Combine(TestPaths.Reference, name + ".json"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        var vocab = r.GetProperty("n_vocab").GetInt32();
        var prompt = r.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var bytes = File.ReadAllBytes(TestPaths.Require(Path.Combine(TestPaths.Reference, r.GetProperty("logits_file").GetString()!)));
        var logits = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length);
        Assert.Equal(prompt.Length * vocab, logits.Length);
        return new ReferenceRun
        {
            Name = name,
            Model = r.GetProperty("model").GetString()!,
            KvCacheType = r.GetProperty("kv_cache_type").GetString()!,
            VocabSize = vocab,
            PromptTokens = prompt,
            GreedyTokens = r.GetProperty("greedy_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            GreedyTop2Gap = r.GetProperty("greedy_top2_gap").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
            Logits = logits,
        };
    }
}
