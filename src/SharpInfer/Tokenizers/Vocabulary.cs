namespace SharpInfer.Tokenizers;

/// <summary>Token texts, scores and attributes with a text → id index (llama_vocab's id_to_token/token_to_id).</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;

    public Vocabulary(string[] texts, float[] scores, TokenAttributes[] attributes)
    {
        Texts = texts;
        Scores = scores;
        Attributes = attributes;
        _ids = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i].Length == 0) texts[i] = $"[EMPTY_{i}]";
            // llama.cpp rejects duplicates; texts that differ only in invalid UTF-8 (read here as
            // U+FFFD) are not duplicates there, so those keep their first id instead.
            if (!_ids.TryAdd(texts[i], i) && !texts[i].Contains('\uFFFD'))
                throw new SharpInferException(
                    $"duplicate token in vocabulary: '{texts[i]}' has ids {_ids[texts[i]]} and {i}");
        }
        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string[] Texts { get; }
    public float[] Scores { get; }
    public TokenAttributes[] Attributes { get; }
    public int Count => Texts.Length;

    /// <summary>The id of a token text, or -1.</summary>
    public int Find(ReadOnlySpan<char> text) => _idsBySpan.TryGetValue(text, out var id) ? id : -1;

    public int Find(string text) => _ids.TryGetValue(text, out var id) ? id : -1;

    public bool Has(int id, TokenAttributes attr) => (Attributes[id] & attr) != 0;
}
