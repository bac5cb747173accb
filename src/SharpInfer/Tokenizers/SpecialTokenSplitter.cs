namespace SharpInfer.Tokenizers;

/// <summary>A piece of the input: either raw text (a range of it) or an already-known token.</summary>
internal readonly record struct Fragment(int Token, int Offset, int Length)
{
    public bool IsToken => Token >= 0;

    public static Fragment Text(int offset, int length) => new(-1, offset, length);
}

/// <summary>
/// llama.cpp's tokenizer_st_partition: cuts special tokens out of the text before the model
/// tokenizer sees it. Longest token texts first; control and unknown tokens only when
/// parse_special is asked, user-defined tokens always; LSTRIP/RSTRIP tokens eat the ASCII
/// whitespace next to them.
/// </summary>
internal static class SpecialTokenSplitter
{
    public static List<Fragment> Split(string text, Vocabulary vocab, int[] specialTokens, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0) return fragments;
        fragments.Add(Fragment.Text(0, text.Length));
        var next = new List<Fragment>();

        foreach (var id in specialTokens)
        {
            var attr = vocab.Attributes[id];
            if (!parseSpecial && (attr & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0) continue;
            var tokenText = vocab.Texts[id];

            next.Clear();
            var changed = false;
            foreach (var fragment in fragments)
            {
                if (fragment.IsToken)
                {
                    next.Add(fragment);
                    continue;
                }
                var offset = fragment.Offset;
                var length = fragment.Length;
                while (true)
                {
                    var match = text.IndexOf(tokenText, offset, length, StringComparison.Ordinal);
                    if (match < 0)
                    {
                        if (length > 0) next.Add(Fragment.Text(offset, length));
                        break;
                    }
                    changed = true;

                    var leftLength = match - offset;
                    if ((attr & TokenAttributes.LStrip) != 0)
                        while (leftLength > 0 && IsSpace(text[offset + leftLength - 1])) leftLength--;
                    if (leftLength > 0) next.Add(Fragment.Text(offset, leftLength));

                    next.Add(new Fragment(id, 0, 0));

                    var rightOffset = match + tokenText.Length;
                    var rightLength = offset + length - rightOffset;
                    if (rightLength <= 0) break;
                    if ((attr & TokenAttributes.RStrip) != 0)
                        while (rightLength > 0 && IsSpace(text[rightOffset]))
                        {
                            rightOffset++;
                            rightLength--;
                        }
                    offset = rightOffset;
                    length = rightLength;
                    if (length == 0) break;
                }
            }
            if (changed) (fragments, next) = (next, fragments);
        }
        return fragments;
    }

    /// <summary>C isspace in the "C" locale.</summary>
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
