using System.Diagnostics;
using System.Text;
using SharpInfer.Tokenizers;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>
/// Special tokens, BOS/EOS defaults, pieces and round trips, checked against what llama.cpp's
/// code does (llama-vocab.cpp) and against ids its own test vectors establish.
/// </summary>
public class TokenizerBehaviourTests(ITestOutputHelper output)
{
    [Fact]
    public void Llama3_parses_control_tokens_only_when_asked()
    {
        var t = VocabFiles.Load("llama-bpe");
        Assert.Equal(128000, t.BosId);
        Assert.True(t.AddBos); // llama-bpe pre-tokenizer implies add_bos in llama.cpp
        Assert.False(t.AddEos);
        // "Hello" is 9906 (llama.cpp's test vectors); with add_special BOS comes first, and the
        // BOS text in the prompt becomes a second BOS only with parse_special.
        Assert.Equal([128000, 9906], t.Encode("Hello", addSpecial: true, parseSpecial: false));
        Assert.Equal([128000, 128000, 9906], t.Encode("<|begin_of_text|>Hello", addSpecial: true, parseSpecial: true));
        var asText = t.Encode("<|begin_of_text|>Hello", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(128000, asText);
        Assert.True(asText.Length > 3);
        Assert.Equal("<|begin_of_text|>Hello", t.Decode(asText));
    }

    [Fact]
    public void Qwen2_chat_markers_are_cut_out_before_bpe()
    {
        var t = VocabFiles.Load("qwen2");
        var start = t.FindToken("<|im_start|>");
        var end = t.FindToken("<|im_end|>");
        Assert.True(start > 0 && end > 0);
        Assert.False(t.AddBos);
        Assert.True(t.IsEndOfGeneration(end));
        var body = t.Encode("user\nHi there", addSpecial: false, parseSpecial: false);
        Assert.Equal([start, .. body, end, .. t.Encode("\n", false, false)],
            t.Encode("<|im_start|>user\nHi there<|im_end|>\n", addSpecial: true, parseSpecial: true));
        Assert.DoesNotContain(start, t.Encode("<|im_start|>user", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void Llama3_end_of_generation_tokens()
    {
        var t = VocabFiles.Load("llama-bpe");
        // This vocabulary (Llama 3.0 layout) has <|eot_id|> but no <|eom_id|>.
        Assert.Equal(128009, t.FindToken("<|eot_id|>"));
        Assert.Equal(-1, t.FindToken("<|eom_id|>"));
        Assert.Equal(128009, t.EotId);
        Assert.Equal(-1, t.EomId);
        Assert.Equal(128001, t.EosId);
        Assert.Equal([128001, 128009], t.EndOfGenerationIds.Order());
        Assert.False(t.IsEndOfGeneration(9906));
        Assert.False(t.IsEndOfGeneration(t.BosId));
    }

    [Fact]
    public void Control_tokens_render_only_when_asked()
    {
        var t = VocabFiles.Load("llama-bpe");
        Assert.Empty(t.TokenToPiece(128000));
        Assert.Equal("<|begin_of_text|>"u8.ToArray(), t.TokenToPiece(128000, renderSpecial: true));
        Assert.Equal("Hello"u8.ToArray(), t.TokenToPiece(9906));
        Assert.Equal(" Hello"u8.ToArray(), t.TokenToPiece(22691)); // 'ĠHello'
    }

    [Fact]
    public void Spm_defaults_and_space_prefix()
    {
        var t = VocabFiles.Load("llama-spm");
        Assert.Equal(TokenizerKind.Spm, t.Kind);
        Assert.Equal((1, 2, 0), (t.BosId, t.EosId, t.UnknownId));
        Assert.True(t.AddBos);
        Assert.False(t.AddEos);
        Assert.True(t.AddSpacePrefix);
        Assert.Equal(13, t.NewlineId); // <0x0A>
        Assert.True(t.IsEndOfGeneration(2));

        var hello = t.Encode("Hello", addSpecial: false, parseSpecial: false);
        Assert.Equal([1, .. hello], t.Encode("Hello", addSpecial: true, parseSpecial: false));
        // Text after a special token gets the space prefix again; the special token itself is
        // only recognized with parse_special.
        Assert.Equal([1, .. hello, 2, .. hello], t.Encode("Hello</s>Hello", addSpecial: true, parseSpecial: true));
        Assert.DoesNotContain(2, t.Encode("Hello</s>Hello", addSpecial: true, parseSpecial: false));
    }

    [Fact]
    public void Spm_byte_fallback_and_pieces()
    {
        var t = VocabFiles.Stories(); // 512 tokens: most non-ASCII text must fall back to bytes
        var ids = t.Encode("日本", addSpecial: false, parseSpecial: false);
        var bytes = Encoding.UTF8.GetBytes("日本");
        // "▁" then one <0xXX> token per UTF-8 byte
        Assert.Equal(1 + bytes.Length, ids.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.Equal($"<0x{bytes[i]:X2}>", t.GetTokenText(ids[1 + i]));
            Assert.Equal(new[] { bytes[i] }, t.TokenToPiece(ids[1 + i]));
        }
        Assert.Equal(" 日本", t.Decode(ids));
        Assert.Equal("日本", t.Detokenize(ids, removeSpecial: false, unparseSpecial: false));
        Assert.Equal("<s>", Encoding.UTF8.GetString(t.TokenToPiece(1, renderSpecial: true)));
        Assert.Empty(t.TokenToPiece(1));
    }

    [Fact]
    public void Load_reads_the_tokenizer_of_a_model_file()
    {
        var t = Tokenizer.Load(SharpInfer.Tests.Support.TestPaths.Require(SharpInfer.Tests.Support.TestPaths.Stories260K));
        Assert.Equal(512, t.VocabSize);
        Assert.Equal(TokenizerKind.Spm, t.Kind);
        Assert.Equal("<unk>", t.GetTokenText(t.UnknownId));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.GetTokenText(512));
        // Usable after the file is closed: nothing refers back to the mapped file.
        Assert.Equal(VocabFiles.Stories().Encode("Once upon a time", true, true), t.Encode("Once upon a time", true, true));
    }

    [Fact]
    public void Phi3_special_tokens_strip_following_spaces()
    {
        var t = VocabFiles.Load("phi-3");
        var end = t.FindToken("<|end|>");
        Assert.True(end > 0);
        Assert.True((t.GetTokenAttributes(end) & TokenAttributes.RStrip) != 0);
        Assert.True(t.IsEndOfGeneration(end));
        // llama.cpp: phi-3 special tokens eat the spaces after them (RSTRIP), so both give the same ids.
        Assert.Equal(t.Encode("<|end|>Hi", false, true), t.Encode("<|end|>   Hi", false, true));
    }

    [Theory]
    [InlineData("llama-bpe")]
    [InlineData("qwen2")]
    [InlineData("gpt-2")]
    [InlineData("deepseek-llm")]
    [InlineData("mpt")]
    [InlineData("refact")]
    public void Byte_level_bpe_round_trips_the_test_strings(string vocab)
    {
        var t = VocabFiles.Load(vocab);
        foreach (var (text, _) in VocabFixtureTests.ReadVectors(VocabFiles.PathOf(vocab)))
            Assert.Equal(text, t.Decode(t.Encode(text, addSpecial: false, parseSpecial: false)));
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("phi-3")]
    public void Spm_round_trips_the_test_strings_after_the_space_prefix(string vocab)
    {
        var t = VocabFiles.Load(vocab);
        foreach (var (text, _) in VocabFixtureTests.ReadVectors(VocabFiles.PathOf(vocab)))
        {
            var ids = t.Encode(text, addSpecial: false, parseSpecial: false);
            Assert.Equal(text.Length == 0 ? "" : " " + text, t.Decode(ids));
        }
    }

    [Fact]
    public void Gpt2_detokenize_cleans_spaces_like_llama_cpp()
    {
        var t = VocabFiles.Load("gpt-2");
        Assert.True(t.CleanSpaces);
        var ids = t.Encode("Hello , world ! It 's", addSpecial: false, parseSpecial: false);
        Assert.Equal("Hello , world ! It 's", t.Decode(ids));
        Assert.Equal("Hello, world! It's", t.Detokenize(ids, removeSpecial: false, unparseSpecial: false));
    }

    [Theory]
    [InlineData("llama-spm")]
    [InlineData("llama-bpe")]
    [InlineData("qwen2")]
    public void Long_prompts_encode_in_reasonable_time(string vocab)
    {
        var t = VocabFiles.Load(vocab);
        var sb = new StringBuilder();
        var vectors = VocabFixtureTests.ReadVectors(VocabFiles.PathOf(vocab));
        while (sb.Length < 64 * 1024)
            foreach (var (text, _) in vectors) sb.Append(text).Append('\n');
        sb.Append(' ', 8192).Append("end").Append('a', 8192);
        var input = sb.ToString();
        t.Encode("warm up", false, false);
        var sw = Stopwatch.StartNew();
        var ids = t.Encode(input, addSpecial: true, parseSpecial: true);
        sw.Stop();
        output.WriteLine($"{vocab}: {input.Length} chars → {ids.Length} tokens in {sw.ElapsedMilliseconds} ms");
        var body = t.Decode(ids.AsSpan(t.AddBos ? 1 : 0));
        Assert.Equal(t.Kind == TokenizerKind.Spm ? " " + input : input, body);
        Assert.True(sw.ElapsedMilliseconds < 10_000, $"{vocab}: {sw.ElapsedMilliseconds} ms for {input.Length} chars");
    }
}
