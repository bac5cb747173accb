using System.Text;

namespace SharpInfer.Tokenizers;

/// <summary>
/// Splits text into the words BPE merges within, as llama.cpp's unicode_regex_split does for a
/// model's <c>tokenizer.ggml.pre</c>: the regexes of llm_tokenizer_bpe run in order (the GPT-2 and
/// Llama 3 ones through hand-written matchers, exactly as llama.cpp does), then each word is
/// UTF-8 encoded and its bytes mapped to GPT-2's byte-level alphabet.
/// </summary>
internal sealed class PreTokenizer
{
    internal const string Gpt2Regex = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    internal const string Llama3Regex =
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private readonly SplitStep[] _steps;

    public PreTokenizer(IReadOnlyList<string> regexes)
    {
        Regexes = regexes;
        _steps = new SplitStep[regexes.Count];
        for (var i = 0; i < regexes.Count; i++)
        {
            _steps[i] = regexes[i] switch
            {
                Gpt2Regex => new Gpt2Split(),
                Llama3Regex or "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
                    => new Llama3Split(),
                var other => new RegexSplit(other),
            };
        }
    }

    public IReadOnlyList<string> Regexes { get; }

    internal IReadOnlyList<SplitStep> Steps => _steps;

    /// <summary>The words of <paramref name="text"/>, each already in byte-level form.</summary>
    public List<string> Split(string text)
    {
        var cpts = UnicodeFlags.Codepoints(text);
        var offsets = new List<int> { cpts.Length };
        foreach (var step in _steps)
            offsets = step.Split(cpts, offsets);

        var words = new List<string>(offsets.Count);
        var sb = new StringBuilder();
        Span<byte> utf8 = stackalloc byte[4];
        var start = 0;
        foreach (var len in offsets)
        {
            sb.Clear();
            for (var i = start; i < start + len; i++)
            {
                var n = new Rune(cpts[i]).EncodeToUtf8(utf8);
                for (var k = 0; k < n; k++) sb.Append(ByteLevel.Encode(utf8[k]));
            }
            words.Add(sb.ToString());
            start += len;
        }
        return words;
    }
}
