namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's hand-written matcher for the GPT-2 regex
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)</c> (followed in
/// effect by <c>\s+</c>), a faithful port of unicode_regex_split_custom_gpt2.
/// </summary>
internal sealed class Gpt2Split : SplitStep
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

        public void Run()
        {
            for (var pos = ini; pos < end;)
            {
                var cpt = Cpt(pos);
                var flags = Flags(pos);

                if (cpt == '\'' && pos + 1 < end)
                {
                    var next = Cpt(pos + 1);
                    if (next is 's' or 't' or 'm' or 'd')
                    {
                        pos += AddToken(pos + 2);
                        continue;
                    }
                    if (pos + 2 < end)
                    {
                        var next2 = Cpt(pos + 2);
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
                        {
                            pos += AddToken(pos + 3);
                            continue;
                        }
                    }
                }

                var flags2 = cpt == ' ' ? Flags(pos + 1) : flags;
                if ((flags2 & CodepointFlags.Letter) != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & CodepointFlags.Letter) != 0) flags2 = Flags(++pos);
                    AddToken(pos);
                    continue;
                }
                if ((flags2 & CodepointFlags.Number) != 0)
                {
                    if (cpt == ' ') pos++;
                    while ((flags2 & CodepointFlags.Number) != 0) flags2 = Flags(++pos);
                    AddToken(pos);
                    continue;
                }
                if (IsOther(flags2))
                {
                    if (cpt == ' ') pos++;
                    while (IsOther(flags2)) flags2 = Flags(++pos);
                    AddToken(pos);
                    continue;
                }

                var numWhitespaces = 0;
                while ((Flags(pos + numWhitespaces) & CodepointFlags.Whitespace) != 0) numWhitespaces++;

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

        /// <summary>[^\s\p{L}\p{N}] within the segment.</summary>
        private static bool IsOther(CodepointFlags f) =>
            (f & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0 && f != CodepointFlags.None;
    }
}
