namespace SharpInfer.Tokenizers;

/// <summary>
/// A pre-tokenizer stage written as a hand-made matcher over codepoints (llama.cpp's
/// unicode_regex_split_custom_*): it walks each incoming segment and cuts it into tokens.
/// </summary>
internal abstract class CodepointSplit : SplitStep
{
    public sealed override List<int> Split(int[] cpts, List<int> offsets)
    {
        var result = new List<int>(offsets.Count);
        var start = 0;
        foreach (var offset in offsets)
        {
            var segment = new CodepointSegment(cpts, start, start + offset, result);
            start += offset;
            Run(ref segment);
        }
        return result;
    }

    /// <summary>Cuts one segment into tokens through <see cref="CodepointSegment.AddToken"/>.</summary>
    protected abstract void Run(ref CodepointSegment s);
}

/// <summary>
/// One segment [Start, End) of the codepoints being split; reads outside it see -1 / no flags, as
/// llama.cpp's _get_cpt/_get_flags do. Token lengths go to the shared output list.
/// </summary>
internal struct CodepointSegment
{
    private readonly int[] _cpts;
    private readonly List<int> _output;
    private int _prevEnd;

    public CodepointSegment(int[] cpts, int start, int end, List<int> output)
    {
        _cpts = cpts;
        Start = start;
        End = end;
        _output = output;
        _prevEnd = start;
    }

    public readonly int Start;
    public readonly int End;

    public readonly int Cpt(int pos) => pos >= Start && pos < End ? _cpts[pos] : -1;

    public readonly CodepointFlags Flags(int pos) =>
        pos >= Start && pos < End ? UnicodeFlags.Get(_cpts[pos]) : CodepointFlags.None;

    /// <summary>Ends the current token at <paramref name="tokenEnd"/>; returns its length.</summary>
    public int AddToken(int tokenEnd)
    {
        var len = tokenEnd - _prevEnd;
        if (len > 0) _output.Add(len);
        _prevEnd = tokenEnd;
        return len;
    }
}
