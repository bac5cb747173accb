using System.Text;
using SharpInfer.Tokenizers;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>
/// The pre-tokenizers. llama.cpp runs the GPT-2 and Llama 3 regexes through hand-written matchers
/// that it keeps equivalent to the regexes; running those same regexes through our std::regex
/// emulation (category-collapsed text, ECMAScript semantics) must split every test string the same
/// way, which checks the emulation the other pre-tokenizers rely on.
/// </summary>
public class PreTokenizerTests
{
    private static readonly string[] Extra =
    [
        "", " ", "  ", "\t", "\n\n\n", " \n \n  x", "a  b", "a   ", "'S 'll 'Ve 're 'LL", "it's I'M",
        "1234567 12 x1y22z333", "  Hello\n    Hello", "¿Qué tal? Ça va — très bien…", "日本語のテキスト 123",
        "🚀 (normal) 😶‍🌫️ ✅", "\u00a0\u2003x\u3000y", "Ⅻ ² ½ ٣", "a\u0301b\u0308", "x\r\n\r\ny", "$+<=>^`|~ !!! ...",
    ];

    private static IEnumerable<string> Texts()
    {
        foreach (var vocab in new[] { "llama-spm", "gpt-2", "qwen2" })
            foreach (var (text, _) in VocabFixtureTests.ReadVectors(VocabFiles.PathOf(vocab)))
                yield return text;
        foreach (var t in Extra) yield return t;
    }

    private static List<string> Words(PreTokenizer pre, string text)
    {
        var words = new List<string>();
        foreach (var word in pre.Split(text))
        {
            var bytes = new byte[word.Length];
            for (var i = 0; i < word.Length; i++) bytes[i] = (byte)ByteLevel.Decode(word[i]);
            words.Add(Encoding.UTF8.GetString(bytes));
        }
        return words;
    }

    [Theory]
    [InlineData(PreTokenizer.Gpt2Regex)]
    [InlineData(PreTokenizer.Llama3Regex)]
    public void Regex_emulation_agrees_with_llama_cpp_hand_written_matchers(string regex)
    {
        var custom = new PreTokenizer([regex]);
        var emulated = new PreTokenizer([regex + "|(?!)"]); // same language, not recognized as the fast path
        Assert.IsNotType<RegexSplit>(Assert.Single(custom.Steps));
        Assert.IsType<RegexSplit>(Assert.Single(emulated.Steps));
        foreach (var text in Texts())
            Assert.Equal(Words(custom, text), Words(emulated, text));
    }

    [Fact]
    public void Words_cover_the_text_in_order()
    {
        foreach (BpePreType type in Enum.GetValues<BpePreType>())
        {
            var pre = new PreTokenizer(BpePreTypes.Regexes(type));
            foreach (var text in Texts())
                Assert.Equal(text, string.Concat(Words(pre, text)));
        }
    }

    [Theory]
    [InlineData("starcoder", "abc 123", new[] { "abc", " ", "1", "2", "3" })]
    [InlineData("refact", "x=12;", new[] { "x", "=", "1", "2", ";" })]
    [InlineData("gpt-2", "Hello, world 123!", new[] { "Hello", ",", " world", " 123", "!" })]
    [InlineData("llama-bpe", "Hello, world 12345!", new[] { "Hello", ",", " world", " ", "123", "45", "!" })]
    [InlineData("dbrx", "I'M here", new[] { "I", "'M", " here" })]
    [InlineData("qwen2", "abc 123", new[] { "abc", " ", "1", "2", "3" })]
    [InlineData("deepseek-coder", "abc 12\nx", new[] { "abc", " ", "1", "2", "\n", "x" })]
    [InlineData("deepseek-llm", "Hi 中文 12", new[] { "Hi", " ", "中文", " ", "12" })]
    [InlineData("falcon", "a, 1234", new[] { "a", ",", " ", "123", "4" })]
    [InlineData("default", "a, 1234", new[] { "a", ",", " ", "123", "4" })]
    public void Splits_like_the_pre_tokenizer_regexes(string pre, string text, string[] expected)
    {
        var type = BpePreTypes.Resolve(pre).Type;
        Assert.Equal(expected, Words(new PreTokenizer(BpePreTypes.Regexes(type)), text));
    }

    [Fact]
    public void Pre_tokenizer_names_map_like_llama_cpp()
    {
        Assert.Equal(BpePreType.Llama3, BpePreTypes.Resolve("llama-bpe").Type);
        Assert.True(BpePreTypes.Resolve("llama-bpe").IgnoreMerges);
        Assert.Equal(BpePreType.Dbrx, BpePreTypes.Resolve("dbrx").Type);
        Assert.Equal(BpePreType.Gpt2, BpePreTypes.Resolve("phi-2").Type);
        Assert.Equal(BpePreType.Qwen2, BpePreTypes.Resolve("deepseek-r1-qwen").Type);
        Assert.Throws<SharpInferException>(() => BpePreTypes.Resolve("no-such-pre"));
    }

    [Fact]
    public void Codepoint_classes_follow_llama_cpp_tables()
    {
        // White_Space only: U+001C..U+001F are not whitespace, U+0085/U+3000 are.
        Assert.Equal(0, (int)(UnicodeFlags.Get(0x1C) & CodepointFlags.Whitespace));
        Assert.NotEqual(0, (int)(UnicodeFlags.Get(0x85) & CodepointFlags.Whitespace));
        Assert.NotEqual(0, (int)(UnicodeFlags.Get(0x3000) & CodepointFlags.Whitespace));
        Assert.Equal(CodepointFlags.Number, UnicodeFlags.Get(0x1FBF0));  // {0x01FBF0, 0x0002} in unicode-data.cpp
        Assert.Equal(CodepointFlags.Letter, UnicodeFlags.Get(0x20000));
        Assert.Equal(CodepointFlags.Mark, UnicodeFlags.Get(0xE0100));
        // Unicode 16 additions are still unassigned in llama.cpp's (15.1) tables.
        Assert.Equal(CodepointFlags.Control, UnicodeFlags.Get(0x10D4A));  // Garay letter
        Assert.Equal(CodepointFlags.Control, UnicodeFlags.Get(0x1FBCB));
    }
}
