using System.Text.Json;
using SharpInfer.Format.Gguf;
using SharpInfer.Tests.Support;
using SharpInfer.Tokenizers;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>
/// The llama.cpp reference runs (tests/fixtures/reference): the prompt tokenized with
/// add_special = parse_special = true gives llama.cpp's prompt tokens, and the greedy tokens'
/// pieces joined give its greedy text (invalid UTF-8 shown as U+FFFD).
/// </summary>
public class ReferenceOutputTests
{
    public static TheoryData<string> References()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(TestPaths.Reference, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        if (data.Count == 0) throw new FileNotFoundException($"no reference outputs in {TestPaths.Reference}");
        return data;
    }

    private static string ModelPath(string model) =>
        TestPaths.Require(model == "stories260K.gguf" ? TestPaths.Stories260K : TestPaths.Micro(model));

    [Theory]
    [MemberData(nameof(References))]
    public void Prompt_tokens_and_greedy_text_match_llama_cpp(string referenceFile)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Require(Path.Combine(TestPaths.Reference, referenceFile))));
        var root = json.RootElement;
        var promptTokens = root.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var greedyTokens = root.GetProperty("greedy_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        using var file = GgufFile.Open(ModelPath(root.GetProperty("model").GetString()!));
        var tokenizer = Tokenizer.FromGguf(file);

        Assert.Equal(root.GetProperty("n_vocab").GetInt32(), tokenizer.VocabSize);
        Assert.Equal(promptTokens, tokenizer.Encode(root.GetProperty("prompt").GetString()!, addSpecial: true, parseSpecial: true));
        Assert.Equal(root.GetProperty("greedy_text").GetString(), tokenizer.Decode(greedyTokens));
    }
}
