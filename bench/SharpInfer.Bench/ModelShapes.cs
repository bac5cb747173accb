namespace SharpInfer.Bench;

/// <summary>The shape of a real model, to be filled with random weights: what llama.cpp reads from its GGUF.</summary>
public sealed record ModelShape(
    string Name,
    string Architecture,
    string Description,
    int Embedding,
    int Layers,
    int Heads,
    int KvHeads,
    int FeedForward,
    int Vocab,
    int ContextLength,
    double RopeBase,
    double RmsEpsilon,
    bool QkvBias,
    string VocabFixture)
{
    public int HeadDim => Embedding / Heads;

    public static IReadOnlyList<ModelShape> All { get; } =
    [
        new("llama-1b", "llama", "Llama-3.2-1B shape", Embedding: 2048, Layers: 16, Heads: 32, KvHeads: 8,
            FeedForward: 8192, Vocab: 128256, ContextLength: 131072, RopeBase: 500000, RmsEpsilon: 1e-5,
            QkvBias: false, VocabFixture: "ggml-vocab-llama-bpe.gguf"),
        new("qwen2-0.5b", "qwen2", "Qwen2-0.5B shape", Embedding: 896, Layers: 24, Heads: 14, KvHeads: 2,
            FeedForward: 4864, Vocab: 151936, ContextLength: 32768, RopeBase: 1000000, RmsEpsilon: 1e-6,
            QkvBias: true, VocabFixture: "ggml-vocab-qwen2.gguf"),
    ];

    public static ModelShape Find(string name)
    {
        foreach (var s in All)
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) return s;
        throw new ArgumentException($"unknown model '{name}'; choose from {string.Join(", ", All.Select(s => s.Name))}");
    }
}
