using System.Text;
using SharpInfer.Tests.Support;
using SharpInfer.Tokenizers;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>
/// llama.cpp's own tokenizer vectors (tests/test-tokenizer-0): each string of the .inp file,
/// tokenized with add_special = false and parse_special = false, must give exactly the ids of the
/// matching .out line.
/// </summary>
public class VocabFixtureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Vocabs()
    {
        var data = new TheoryData<string>();
        foreach (var name in new[] { "llama-spm", "llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "mpt", "phi-3", "refact" })
            data.Add(name);
        return data;
    }

    internal static List<(string Text, int[] Ids)> ReadVectors(string vocabPath)
    {
        var raw = Encoding.UTF8.GetString(File.ReadAllBytes(TestPaths.Require(vocabPath + ".inp")));
        var outLines = File.ReadAllLines(TestPaths.Require(vocabPath + ".out"));
        const string sep = "\n__ggml_vocab_test__\n";
        var inputs = new List<string>();
        for (var pos = 0; pos < raw.Length;)
        {
            var next = raw.IndexOf(sep, pos, StringComparison.Ordinal);
            if (next < 0)
            {
                inputs.Add(raw[pos..]);
                break;
            }
            inputs.Add(raw[pos..next]);
            pos = next + sep.Length;
        }
        Assert.Equal(outLines.Length, inputs.Count);
        var vectors = new List<(string, int[])>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var o = outLines[i].Trim();
            var ids = o.Length == 0 ? [] : o.Split(' ').Select(int.Parse).ToArray();
            vectors.Add((inputs[i], ids));
        }
        return vectors;
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void Matches_llama_cpp_test_vectors(string vocab)
    {
        var tokenizer = VocabFiles.Load(vocab);
        var vectors = ReadVectors(VocabFiles.PathOf(vocab));

        var failures = new List<string>();
        foreach (var (text, expected) in vectors)
        {
            var actual = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
            if (!actual.AsSpan().SequenceEqual(expected))
                failures.Add($"'{Escape(text)}'\n  expected {string.Join(' ', expected)}\n  actual   {string.Join(' ', actual)}");
        }
        output.WriteLine($"{vocab}: {vectors.Count - failures.Count}/{vectors.Count} vectors pass");
        Assert.True(failures.Count == 0, $"{vocab}: {failures.Count}/{vectors.Count} vectors fail:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Llama2_model_file_matches_the_llama_spm_vectors()
    {
        // llama-2-tiny-random carries the real Llama 2 vocabulary, the one ggml-vocab-llama-spm holds.
        var tokenizer = Tokenizer.Load(TestPaths.Require(Path.Combine(TestPaths.Models, "llama-2-tiny-random.gguf")));
        foreach (var (text, expected) in ReadVectors(VocabFiles.PathOf("llama-spm")))
            Assert.Equal(expected, tokenizer.Encode(text, addSpecial: false, parseSpecial: false));
    }

    private static string Escape(string s) => s.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
}
