namespace SharpInfer.Tokenizers;

/// <summary>
/// One stage of llama.cpp's pre-tokenizer (unicode_regex_split): it refines a list of segment
/// lengths (in codepoints) over the text into finer segments. Stages run in order, each within
/// the segments the previous one produced.
/// </summary>
internal abstract class SplitStep
{
    public abstract List<int> Split(int[] cpts, List<int> offsets);
}
