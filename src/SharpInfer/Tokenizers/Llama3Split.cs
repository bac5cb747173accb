namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's hand-written matcher for the Llama 3 regex
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>,
/// a faithful port of unicode_regex_split_custom_llama3 (including its quirks).
/// </summary>
internal sealed class Llama3Split : SplitStep
{
    public override List<int> Split(int[] cpts, List<int> offsets)
    {
        var result = new List<int>(offsets.Count);
        var start = 0;
        foreach (var offset in offsets)
        {
            var seg = new Segment(cpts, start, start + offset, result);
            start += offset;
            seg.Run();
        }
        return result;
    }

    private struct Segment
    {
        private readonly int[] cpts;
        private readonly int ini;
        private readonly int end;
        private readonly List<int> output;
        private int _prevEnd;

        public Segment(int[] cpts, int ini, int end, List<int> output)
        {
            this.cpts = cpts;
            this.ini = ini;
            this.end = end;
            this.output = output;
            _prevEnd = ini;
        }

        private readonly int Cpt(int pos) => pos >= ini && pos < end ? cpts[pos] : -1;

        private readonly CodepointFlags Flags(int pos) =>
            pos >= ini && pos < end ? UnicodeFlags.Get(cpts[pos]) : CodepointFlags.None;

        private int AddToken(int tokenEnd)
        {
            var len = tokenEnd - _prevEnd;
            if (len > 0) output.Add(len);
            _prevEnd = tokenEnd;
            return len;
        }

        private static int ToLowerAscii(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

        private static bool IsLetter(CodepointFlags f) => (f & CodepointFlags.Letter) != 0;

        private static bool IsNumber(CodepointFlags f) => (f & CodepointFlags.Number) != 0;

        public void Run()
        {
            for (var pos = ini; pos < end;)
            {
                var cpt = Cpt(pos);
                var flags = Flags(pos);

                if (cpt == '\'' && pos + 1 < end)
                {
                    var next = ToLowerAscii(Cpt(pos + 1));
                    if (next is 's' or 't' or 'm' or 'd')
                    {
                        pos += AddToken(pos + 2);
                        continue;
                    }
                    if (pos + 2 < end)
                    {
                        var next2 = ToLowerAscii(Cpt(pos + 2));
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
                        {
                            pos += AddToken(pos + 3);
                            continue;
                        }
                    }
                }

                // [^\r\n\p{L}\p{N}]?\p{L}+
                if (!(cpt == '\r' || cpt == '\n' || IsNumber(flags)))
                {
                    if (IsLetter(flags) || IsLetter(Flags(pos + 1)))
                    {
                        pos++;
                        while (IsLetter(Flags(pos))) pos++;
                        AddToken(pos);
                        continue;
                    }
                }

                // \p{N}{1,3}
                if (IsNumber(flags))
                {
                    var first = pos;
                    while (IsNumber(Flags(pos)))
                    {
                        if (++pos - first >= 3)
                        {
                            AddToken(pos);
                            first = pos;
                        }
                    }
                    AddToken(pos);
                    continue;
                }

                // <space>?[^\s\p{L}\p{N}]+[\r\n]*
                var flags2 = cpt == ' ' ? Flags(pos + 1) : flags;
                if ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0
                    && flags != CodepointFlags.None)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0
                           && flags2 != CodepointFlags.None)
                        flags2 = Flags(++pos);
                    var c2 = Cpt(pos);
                    while (c2 == '\r' || c2 == '\n') c2 = Cpt(++pos);
                    AddToken(pos);
                    continue;
                }

                var numWhitespaces = 0;
                var lastEndROrN = 0;
                while ((Flags(pos + numWhitespaces) & CodepointFlags.Whitespace) != 0)
                {
                    var c2 = Cpt(pos + numWhitespaces);
                    if (c2 == '\r' || c2 == '\n') lastEndROrN = pos + numWhitespaces + 1;
                    numWhitespaces++;
                }

                // \s*[\r\n]+
                if (lastEndROrN > 0)
                {
                    pos = lastEndROrN;
                    AddToken(pos);
                    continue;
                }

                // \s+(?!\S)
                if (numWhitespaces > 1 && Cpt(pos + numWhitespaces) != -1)
                {
                    pos += numWhitespaces - 1;
                    AddToken(pos);
                    continue;
                }

                if (numWhitespaces > 0)
                {
                    pos += numWhitespaces;
                    AddToken(pos);
                    continue;
                }

                AddToken(++pos);
            }
        }
    }
}
