namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's hand-written matcher for the Llama 3 regex
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>,
/// a faithful port of unicode_regex_split_custom_llama3 (including its quirks).
/// </summary>
internal sealed class Llama3Split : CodepointSplit
{
    private static int ToLowerAscii(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

    private static bool IsLetter(CodepointFlags f) => (f & CodepointFlags.Letter) != 0;

    private static bool IsNumber(CodepointFlags f) => (f & CodepointFlags.Number) != 0;

    protected override void Run(ref CodepointSegment s)
    {
        for (var pos = s.Start; pos < s.End;)
        {
            var cpt = s.Cpt(pos);
            var flags = s.Flags(pos);

            if (cpt == '\'' && pos + 1 < s.End)
            {
                var next = ToLowerAscii(s.Cpt(pos + 1));
                if (next is 's' or 't' or 'm' or 'd')
                {
                    pos += s.AddToken(pos + 2);
                    continue;
                }
                if (pos + 2 < s.End)
                {
                    var next2 = ToLowerAscii(s.Cpt(pos + 2));
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
                    {
                        pos += s.AddToken(pos + 3);
                        continue;
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cpt == '\r' || cpt == '\n' || IsNumber(flags)))
            {
                if (IsLetter(flags) || IsLetter(s.Flags(pos + 1)))
                {
                    pos++;
                    while (IsLetter(s.Flags(pos))) pos++;
                    s.AddToken(pos);
                    continue;
                }
            }

            // \p{N}{1,3}
            if (IsNumber(flags))
            {
                var first = pos;
                while (IsNumber(s.Flags(pos)))
                {
                    if (++pos - first >= 3)
                    {
                        s.AddToken(pos);
                        first = pos;
                    }
                }
                s.AddToken(pos);
                continue;
            }

            // <space>?[^\s\p{L}\p{N}]+[\r\n]*
            var flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            if ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0
                && flags != CodepointFlags.None)
            {
                if (cpt == ' ') pos++;
                while ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0
                       && flags2 != CodepointFlags.None)
                    flags2 = s.Flags(++pos);
                var c2 = s.Cpt(pos);
                while (c2 == '\r' || c2 == '\n') c2 = s.Cpt(++pos);
                s.AddToken(pos);
                continue;
            }

            var numWhitespaces = 0;
            var lastEndROrN = 0;
            while ((s.Flags(pos + numWhitespaces) & CodepointFlags.Whitespace) != 0)
            {
                var c2 = s.Cpt(pos + numWhitespaces);
                if (c2 == '\r' || c2 == '\n') lastEndROrN = pos + numWhitespaces + 1;
                numWhitespaces++;
            }

            // \s*[\r\n]+
            if (lastEndROrN > 0)
            {
                pos = lastEndROrN;
                s.AddToken(pos);
                continue;
            }

            // \s+(?!\S)
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
}
