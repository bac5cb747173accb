namespace SharpInfer.Tokenizers;

/// <summary>
/// llama.cpp's SentencePiece tokenizer (llm_tokenizer_spm_session): start from single codepoints,
/// repeatedly merge the adjacent pair whose concatenation is the highest-scoring vocabulary token
/// (ties: leftmost first), then emit each symbol as its token or, failing that, as byte tokens.
/// </summary>
internal sealed class SpmEncoder(Vocabulary vocab, Func<byte, int> byteToToken)
{
    private struct Symbol
    {
        public int Start;
        public int Length; // UTF-16 units; 0 once merged into its left neighbour
        public int Prev;
        public int Next;
    }

    private readonly record struct Bigram(int Left, int Right, int Size);

    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();

        // PriorityQueue dequeues the smallest: highest score first, then lowest left index.
        public int Compare((float Score, int Left) x, (float Score, int Left) y)
        {
            if (x.Score != y.Score) return x.Score > y.Score ? -1 : 1;
            return x.Left.CompareTo(y.Left);
        }
    }

    /// <summary>Tokenizes <paramref name="text"/> (spaces already escaped as U+2581).</summary>
    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0) return;
        var symbols = new List<Symbol>(text.Length);
        for (var offs = 0; offs < text.Length;)
        {
            var len = char.IsHighSurrogate(text[offs]) && offs + 1 < text.Length && char.IsLowSurrogate(text[offs + 1]) ? 2 : 1;
            var index = symbols.Count;
            symbols.Add(new Symbol
            {
                Start = offs,
                Length = len,
                Prev = index - 1,
                Next = offs + len == text.Length ? -1 : index + 1,
            });
            offs += len;
        }

        var queue = new PriorityQueue<Bigram, (float, int)>(symbols.Count, BigramOrder.Instance);
        var syms = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);

        void TryAddBigram(Span<Symbol> s, int left, int right)
        {
            if (left == -1 || right == -1) return;
            var size = s[left].Length + s[right].Length;
            var token = vocab.Find(text.AsSpan(s[left].Start, size));
            if (token < 0) return;
            queue.Enqueue(new Bigram(left, right, size), (vocab.Scores[token], left));
        }

        for (var i = 1; i < syms.Length; i++) TryAddBigram(syms, i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref syms[bigram.Left];
            ref var right = ref syms[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;

            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) syms[right.Next].Prev = bigram.Left;

            TryAddBigram(syms, left.Prev, bigram.Left);
            TryAddBigram(syms, bigram.Left, left.Next);
        }

        // Only single codepoints can be left without a token (every merge makes a token).
        Span<byte> utf8 = stackalloc byte[16];
        for (var i = 0; i != -1; i = syms[i].Next)
        {
            var piece = text.AsSpan(syms[i].Start, syms[i].Length);
            var token = vocab.Find(piece);
            if (token >= 0)
            {
                output.Add(token);
                continue;
            }
            var bytes = piece.Length <= 4 ? utf8 : new byte[piece.Length * 3];
            var n = System.Text.Encoding.UTF8.GetBytes(piece, bytes);
            for (var k = 0; k < n; k++) output.Add(byteToToken(bytes[k]));
        }
    }
}
