using SharpInfer.Format.Gguf;
using SharpInfer.Tests.Support;
using SharpInfer.Tokenizers;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>Loads each vocab-only GGUF once per test run (the big BPE vocabularies take a moment).</summary>
internal static class VocabFiles
{
    private static readonly Dictionary<string, Tokenizer> Cache = new();

    public static string PathOf(string vocab) => Path.Combine(TestPaths.Models, "vocab", $"ggml-vocab-{vocab}.gguf");

    public static Tokenizer Load(string vocab)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(vocab, out var t)) return t;
            using var file = GgufFile.Open(TestPaths.Require(PathOf(vocab)));
            t = Tokenizer.FromGguf(file);
            Cache[vocab] = t;
            return t;
        }
    }

    public static Tokenizer Stories()
    {
        lock (Cache)
        {
            if (Cache.TryGetValue("stories260K", out var t)) return t;
            using var file = GgufFile.Open(TestPaths.Require(TestPaths.Stories260K));
            t = Tokenizer.FromGguf(file);
            Cache["stories260K"] = t;
            return t;
        }
    }
}
