namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's hand-written matcher for the GPT-2 regex
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)</c> (followed in
/// effect by <c>\s+</c>), a faithful port of unicode_regex_split_custom_gpt2.
/// </summary>
internal sealed class Gpt2Split : CodepointSplit
{
    protected override void Run(ref CodepointSegment s)
    {
        for (var pos = s.Start; pos < s.End;)
        {
            var cpt = s.Cpt(pos);
            var flags = s.Flags(pos);

            if (cpt == '\'' && pos + 1 < s.End)
            {
                var next = s.Cpt(pos + 1);
                if (next is 's' or 't' or 'm' or 'd')
                {
                    pos += s.AddToken(pos + 2);
                    continue;
                }
                if (pos + 2 < s.End)
                {
                    var next2 = s.Cpt(pos + 2);
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
                    {
                        pos += s.AddToken(pos + 3);
                        continue;
                    }
                }
            }

            var flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            if ((flags2 & CodepointFlags.Letter) != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & CodepointFlags.Letter) != 0) flags2 = s.Flags(++pos);
                s.AddToken(pos);
                continue;
            }
            if ((flags2 & CodepointFlags.Number) != 0)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & CodepointFlags.Number) != 0) flags2 = s.Flags(++pos);
                s.AddToken(pos);
                continue;
            }
            if (IsOther(flags2))
            {
                if (cpt == ' ') pos++;
                while (IsOther(flags2)) flags2 = s.Flags(++pos);
                s.AddToken(pos);
                continue;
            }

            var numWhitespaces = 0;
            while ((s.Flags(pos + numWhitespaces) & CodepointFlags.Whitespace) != 0) numWhitespaces++;

            if (numWhitespaces > 1 && s.Cpt(pos + numWhitespaces) != -1)
            {
                pos += numWhitespaces - 1;
                s.AddToken(pos);
                continue;
            }
            if (numWhitespaces > 0)
            {
                pos += numWhitespaces;
                s.AddToken(pos);
                continue;
            }

            s.AddToken(++pos);
        }
    }

    /// <summary>[^\s\p{L}\p{N}] within the segment.</summary>
    private static bool IsOther(CodepointFlags f) =>
        (f & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0 && f != CodepointFlags.None;
}
