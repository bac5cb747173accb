using System.Text;
using SharpInfer.Tokenizers;

namespace SharpInfer.Tests.Tokenizers;

/// <summary>The streaming decoder yields only whole characters, however the bytes arrive.</summary>
public class StreamingDecoderTests
{
    [Fact]
    public void Holds_back_characters_split_across_byte_tokens()
    {
        var t = VocabFiles.Stories(); // tiny SPM vocab: "é", "日", "🦙" come out as <0xXX> byte tokens
        const string text = "aé日🦙b";
        var ids = t.Encode(text, addSpecial: false, parseSpecial: false);
        Assert.Contains(ids, id => (t.GetTokenAttributes(id) & TokenAttributes.Byte) != 0);

        var decoder = t.CreateStreamingDecoder();
        var pieces = new List<string>();
        foreach (var id in ids)
        {
            var s = decoder.Append(id);
            Assert.DoesNotContain('\uFFFD', s);
            Assert.False(s.Length > 0 && char.IsHighSurrogate(s[^1]), "a surrogate pair was split");
            pieces.Add(s);
        }
        Assert.Equal("", decoder.Flush());
        Assert.Equal(" " + text, string.Concat(pieces));
        // Each character appears in one piece: the token carrying its last byte.
        Assert.Contains("🦙", pieces);
    }

    [Fact]
    public void Bytes_split_at_every_position()
    {
        var t = VocabFiles.Stories();
        var bytes = Encoding.UTF8.GetBytes("x€𝄞é");
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var decoder = t.CreateStreamingDecoder();
            var first = decoder.Append(bytes.AsSpan(0, cut));
            var second = decoder.Append(bytes.AsSpan(cut));
            Assert.Equal("x€𝄞é", first + second + decoder.Flush());
            Assert.DoesNotContain('\uFFFD', first);
        }
    }

    [Fact]
    public void Invalid_bytes_are_not_held_forever()
    {
        var t = VocabFiles.Stories();
        var decoder = t.CreateStreamingDecoder();
        Assert.Equal("\uFFFDA", decoder.Append([0xE2, 0x41])); // a lead byte followed by a non-continuation
        Assert.Equal("", decoder.Append([0xF0, 0x9F]));        // unfinished but valid so far: held
        Assert.Equal("\uFFFD", decoder.Flush());                // the stream ended inside it
        Assert.Equal("\uFFFD", decoder.Append([0xC0]));         // never valid
    }
}
