using System.Text;

namespace SharpInfer.Tokenizers;

/// <summary>
/// Turns generated tokens into text as they arrive: a token's piece may end in the middle of a
/// UTF-8 character (byte tokens, byte-level BPE), so the bytes of an unfinished but so-far valid
/// sequence are held back until the next token completes it. Bytes that can never form a
/// character come out as U+FFFD right away.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly List<byte> _pending = new(8);

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="renderSpecial">Show control tokens as their text (as llama.cpp's special = true).</param>
    public StreamingDecoder(Tokenizer tokenizer, bool renderSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds a token; returns the characters it completes (possibly empty).</summary>
    public string Append(int token) => Append(_tokenizer.GetPiece(token, _renderSpecial));

    /// <summary>Adds raw bytes; returns the characters they complete.</summary>
    public string Append(ReadOnlySpan<byte> bytes)
    {
        _pending.AddRange(bytes);
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending);
        var keep = IncompleteTailLength(span);
        var ready = span.Length - keep;
        if (ready == 0) return "";
        var text = Encoding.UTF8.GetString(span[..ready]);
        _pending.RemoveRange(0, ready);
        return text;
    }

    /// <summary>Whatever is held back, decoded as it is (an unfinished character becomes U+FFFD).</summary>
    public string Flush()
    {
        if (_pending.Count == 0) return "";
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }

    /// <summary>Length of a trailing UTF-8 sequence that is valid so far but not finished, else 0.</summary>
    internal static int IncompleteTailLength(ReadOnlySpan<byte> s)
    {
        // A sequence is at most 4 bytes, so its lead byte is among the last 3.
        for (var back = 1; back <= 3 && back <= s.Length; back++)
        {
            var lead = s[^back];
            if (lead is >= 0x80 and <= 0xBF) continue; // continuation byte: look further back
            var need = lead switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 1,
            };
            if (need <= back) return 0; // complete, or not a multi-byte lead
            // The bytes after the lead must be a valid prefix of the sequence.
            for (var k = 1; k < back; k++)
            {
                var b = s[^(back - k)];
                var (lo, hi) = k == 1 ? SecondByteRange(lead) : ((byte)0x80, (byte)0xBF);
                if (b < lo || b > hi) return 0;
            }
            return back;
        }
        return 0;
    }

    private static (byte Lo, byte Hi) SecondByteRange(byte lead) => lead switch
    {
        0xE0 => (0xA0, 0xBF),
        0xED => (0x80, 0x9F),
        0xF0 => (0x90, 0xBF),
        0xF4 => (0x80, 0x8F),
        _ => (0x80, 0xBF),
    };
}
