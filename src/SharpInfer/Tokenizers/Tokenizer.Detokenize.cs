using System.Text;

namespace SharpInfer.Tokenizers;

public sealed partial class Tokenizer
{
    /// <summary>
    /// llama_detokenize: the pieces joined, where an SPM model drops the space it put before the
    /// first word, <paramref name="removeSpecial"/> drops the BOS/EOS it adds, and models with
    /// clean_spaces remove the spaces before <c>?!.,</c> and in front of some contractions.
    /// </summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial, bool unparseSpecial)
    {
        var removeSpace = AddSpacePrefix;
        if (removeSpecial && AddBos && tokens.Length > 0 && tokens[0] == BosId)
        {
            removeSpace = false;
            tokens = tokens[1..];
        }
        if (removeSpecial && AddEos && tokens.Length > 0 && tokens[^1] == EosId)
            tokens = tokens[..^1];

        var text = new List<byte>(tokens.Length * 4);
        foreach (var id in tokens)
        {
            var piece = GetPiece(id, unparseSpecial);
            if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
            removeSpace = false;
            text.AddRange(piece);
        }

        var t = text.ToArray();
        var total = t.Length;
        if (CleanSpaces) total = CleanUpSpaces(t);
        return Encoding.UTF8.GetString(t, 0, total);
    }

    /// <summary>The three passes of llama.cpp's clean_spaces, in place; returns the new length.</summary>
    private static int CleanUpSpaces(byte[] text)
    {
        // " ?", " !", " .", " ,"
        var total1 = text.Length;
        var total = total1 > 0 ? 1 : 0;
        for (var i = 1; i < total1; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            text[total++] = x;
        }

        // " ' " → "'"
        var total2 = total;
        total = total2 > 0 ? 1 : 0;
        for (var i = 1; i < total2; i++)
        {
            var x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }

        // " 's", " 'm", " 're", " 've"
        var total3 = total;
        total = total3 > 0 ? 1 : 0;
        for (var i = 1; i < total3; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                var x1 = text[i + 1];
                if (x1 is (byte)'s' or (byte)'m') total--;
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < total3)
                {
                    var x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
