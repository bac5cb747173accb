using System.Runtime.InteropServices;

namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's byte-level BPE (llm_tokenizer_bpe_session): within each pre-tokenized word, merge
/// the adjacent pair with the lowest merge rank (ties: leftmost first) until none applies; a
/// final symbol that is not a token falls back to its single-character tokens.
/// </summary>
internal sealed class BpeEncoder(Vocabulary vocab, BpeMerges merges, PreTokenizer preTokenizer, bool ignoreMerges)
{
    private struct Symbol
    {
        public int Start;
        public int Length;
        public int Prev;
        public int Next;
    }

    private readonly record struct Bigram(int Left, int Right, int Size);

    public void Encode(string text, List<int> output)
    {
        var symbols = new List<Symbol>();
        var queue = new PriorityQueue<Bigram, (int Rank, int Left)>();
        foreach (var word in preTokenizer.Split(text))
            EncodeWord(word, symbols, queue, output);
    }

    private void EncodeWord(string word, List<Symbol> symbols, PriorityQueue<Bigram, (int, int)> queue, List<int> output)
    {
        symbols.Clear();
        queue.Clear();
        if (word.Length == 0) return;

        if (ignoreMerges && vocab.Find(word) >= 0)
        {
            symbols.Add(new Symbol { Start = 0, Length = word.Length, Prev = -1, Next = -1 });
        }
        else
        {
            // Byte-level words hold only BMP characters: one symbol per char.
            for (var i = 0; i < word.Length; i++)
                symbols.Add(new Symbol { Start = i, Length = 1, Prev = i - 1, Next = i + 1 == word.Length ? -1 : i + 1 });
        }

        var syms = CollectionsMarshal.AsSpan(symbols);

        void AddBigram(Span<Symbol> s, int left, int right)
        {
            if (left == -1 || right == -1) return;
            var rank = merges.Rank(word.AsSpan(s[left].Start, s[left].Length), word.AsSpan(s[right].Start, s[right].Length));
            if (rank < 0) return;
            queue.Enqueue(new Bigram(left, right, s[left].Length + s[right].Length), (rank, left));
        }

        for (var i = 1; i < syms.Length; i++) AddBigram(syms, i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref syms[bigram.Left];
            ref var right = ref syms[bigram.Right];
            // Symbols only grow to the right from a fixed start, so an unchanged total length
            // means the pair still spells the bigram's text.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;

            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) syms[right.Next].Prev = bigram.Left;

            AddBigram(syms, left.Prev, bigram.Left);
            AddBigram(syms, bigram.Left, left.Next);
        }

        for (var i = 0; i < syms.Length; i++)
        {
            if (syms[i].Length == 0) continue;
            var piece = word.AsSpan(syms[i].Start, syms[i].Length);
            var token = vocab.Find(piece);
            if (token >= 0)
            {
                output.Add(token);
                continue;
            }
            // llama.cpp looks up each UTF-8 byte of the symbol as a one-byte token text; only
            // ASCII bytes can spell a (valid UTF-8) token.
            foreach (var ch in piece)
            {
                if (ch >= 0x80) continue;
                var single = vocab.Find(new ReadOnlySpan<char>(in ch));
                if (single >= 0) output.Add(single);
            }
        }
    }
}

/// <summary>Merge ranks from tokenizer.ggml.merges ("left right", rank = line index).</summary>
internal sealed class BpeMerges
{
    private readonly Dictionary<string, int> _ranks;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public BpeMerges(string[] merges)
    {
        _ranks = new Dictionary<string, int>(merges.Length, StringComparer.Ordinal);
        for (var i = 0; i < merges.Length; i++)
        {
            var word = merges[i];
            var pos = word.Length > 1 ? word.IndexOf(' ', 1) : -1;
            // llama.cpp keeps the first rank of a pair (emplace) and stores unsplittable lines as ("", "").
            var key = pos >= 0 ? word : " ";
            _ranks.TryAdd(key, i);
        }
        _bySpan = _ranks.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _ranks.Count;

    public int Rank(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        var len = left.Length + 1 + right.Length;
        Span<char> key = len <= 256 ? stackalloc char[len] : new char[len];
        left.CopyTo(key);
        key[left.Length] = ' ';
        right.CopyTo(key[(left.Length + 1)..]);
        return _bySpan.TryGetValue(key, out var rank) ? rank : -1;
    }
}
