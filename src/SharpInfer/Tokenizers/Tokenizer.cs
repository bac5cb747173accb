using System.Text;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Tokenizers;

/// <summary>
/// A model's tokenizer built from its GGUF <c>tokenizer.ggml.*</c> metadata, reproducing
/// llama.cpp's llama_vocab: SPM ("llama") and byte-level BPE ("gpt2") models, special-token
/// parsing, BOS/EOS handling and token → piece rendering. Immutable and thread-safe.
/// </summary>
public sealed partial class Tokenizer
{
    private const char EscapedSpace = '\u2581';

    private readonly Vocabulary _vocab;
    private readonly int[] _specialTokens; // control, user-defined and unknown tokens, longest text first
    private readonly byte[][] _pieces;     // token_to_piece with special = true
    private readonly HashSet<int> _eog;
    private readonly SpmEncoder? _spm;
    private readonly BpeEncoder? _bpe;

    /// <summary>Reads the tokenizer of a GGUF file (throws <see cref="SharpInferException"/> when unsupported or malformed).</summary>
    public static Tokenizer FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new(TokenizerConfig.Read(file));
    }

    /// <summary>Opens a GGUF file just to read its tokenizer.</summary>
    public static Tokenizer Load(string ggufPath)
    {
        using var file = GgufFile.Open(ggufPath);
        return FromGguf(file);
    }

    private Tokenizer(TokenizerConfig c)
    {
        Kind = c.Kind;
        Model = c.Model;
        Pre = c.Pre;
        PreType = c.PreType;
        _vocab = c.Vocab;
        BosId = c.BosId;
        EosId = c.EosId;
        EotId = c.EotId;
        EomId = c.EomId;
        UnknownId = c.UnknownId;
        SeparatorId = c.SepId;
        PaddingId = c.PadId;
        AddBos = c.AddBos;
        AddEos = c.AddEos;
        AddSpacePrefix = c.AddSpacePrefix;
        CleanSpaces = c.CleanSpaces;
        _eog = c.Eog;
        _specialTokens = c.SpecialTokens;
        _pieces = new byte[_vocab.Count][];
        for (var id = 0; id < _vocab.Count; id++) _pieces[id] = BuildPiece(id);

        if (Kind == TokenizerKind.Spm)
        {
            _spm = new SpmEncoder(_vocab, ByteToToken);
            try { NewlineId = ByteToToken((byte)'\n'); }
            catch (SharpInferException) { NewlineId = PaddingId; }
        }
        else
        {
            _bpe = new BpeEncoder(_vocab, c.Merges!, new PreTokenizer(BpePreTypes.Regexes(c.PreType!.Value)), c.IgnoreMerges);
            var nl = Encode("\n", addSpecial: false, parseSpecial: false);
            NewlineId = nl.Length > 0 ? nl[0] : PaddingId;
        }
    }

    public TokenizerKind Kind { get; }

    /// <summary>tokenizer.ggml.model ("llama", "gpt2").</summary>
    public string Model { get; }

    /// <summary>tokenizer.ggml.pre, when present.</summary>
    public string? Pre { get; }

    /// <summary>The pre-tokenizer of a BPE model; null for SPM.</summary>
    public BpePreType? PreType { get; }

    public int VocabSize => _vocab.Count;

    /// <summary>Special token ids; -1 where the model has none.</summary>
    public int BosId { get; }
    public int EosId { get; }
    public int EotId { get; }
    public int EomId { get; }
    public int UnknownId { get; }
    public int SeparatorId { get; }
    public int PaddingId { get; }
    public int NewlineId { get; }

    /// <summary>Whether Encode(addSpecial: true) puts BOS first / EOS last.</summary>
    public bool AddBos { get; }
    public bool AddEos { get; }

    /// <summary>SPM: a space is put before text that starts the input or follows a special token.</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>Detokenize removes spaces before punctuation (clean_up_tokenization_spaces).</summary>
    public bool CleanSpaces { get; }

    /// <summary>Tokens that end generation (EOS, EOT, EOM and the model's other end markers).</summary>
    public IReadOnlyCollection<int> EndOfGenerationIds => _eog;

    public bool IsEndOfGeneration(int id) => _eog.Contains(id);

    public string GetTokenText(int id) => _vocab.Texts[CheckId(id)];

    public float GetTokenScore(int id) => _vocab.Scores[CheckId(id)];

    public TokenAttributes GetTokenAttributes(int id) => _vocab.Attributes[CheckId(id)];

    public bool IsControl(int id) => _vocab.Has(CheckId(id), TokenAttributes.Control);

    /// <summary>The id of a token text, or -1.</summary>
    public int FindToken(string text) => _vocab.Find(text);

    private int CheckId(int id) => (uint)id < (uint)_vocab.Count
        ? id
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (0..{_vocab.Count - 1})");

    /// <summary>
    /// Tokenizes like llama_tokenize: <paramref name="addSpecial"/> adds BOS/EOS as the model asks,
    /// <paramref name="parseSpecial"/> turns control-token texts in the input into those tokens
    /// (user-defined tokens are always recognized).
    /// </summary>
    public int[] Encode(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        var fragments = SpecialTokenSplitter.Split(text, _vocab, _specialTokens, parseSpecial);

        if (Kind == TokenizerKind.Spm)
        {
            var isPrevSpecial = true; // the first text gets a space prefix
            if (addSpecial && AddBos) output.Add(RequireId(BosId, "BOS"));
            foreach (var fragment in fragments)
            {
                if (fragment.IsToken)
                {
                    output.Add(fragment.Token);
                    isPrevSpecial = true;
                    continue;
                }
                var raw = text.AsSpan(fragment.Offset, fragment.Length);
                var piece = AddSpacePrefix && isPrevSpecial ? string.Concat(" ", raw) : raw.ToString();
                _spm!.Encode(piece.Replace(' ', EscapedSpace), output);
                isPrevSpecial = false;
            }
            if (addSpecial && AddEos) output.Add(RequireId(EosId, "EOS"));
        }
        else
        {
            if (addSpecial && AddBos) output.Add(RequireId(BosId, "BOS"));
            foreach (var fragment in fragments)
            {
                if (fragment.IsToken) output.Add(fragment.Token);
                else _bpe!.Encode(text.Substring(fragment.Offset, fragment.Length), output);
            }
            if (addSpecial && AddEos) output.Add(RequireId(EosId, "EOS"));
        }
        return output.ToArray();
    }

    private static int RequireId(int id, string what) =>
        id >= 0 ? id : throw new SharpInferException($"the model asks for a {what} token but defines none");

    /// <summary>
    /// The bytes a token stands for (llama_token_to_piece): control and unknown tokens render as
    /// their text only with <paramref name="renderSpecial"/>, otherwise as nothing.
    /// </summary>
    public byte[] TokenToPiece(int id, bool renderSpecial = false) => GetPiece(id, renderSpecial).ToArray();

    /// <summary>Like <see cref="TokenToPiece"/> without copying.</summary>
    public ReadOnlySpan<byte> GetPiece(int id, bool renderSpecial = false)
    {
        CheckId(id);
        if (!renderSpecial && _vocab.Has(id, TokenAttributes.Unknown | TokenAttributes.Control)) return [];
        return _pieces[id];
    }

    /// <summary>The pieces of the tokens joined and read as UTF-8 (invalid bytes become U+FFFD).</summary>
    public string Decode(ReadOnlySpan<int> tokens, bool renderSpecial = false)
    {
        var bytes = new List<byte>(tokens.Length * 4);
        foreach (var id in tokens) bytes.AddRange(GetPiece(id, renderSpecial));
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>A decoder that turns a stream of tokens into complete characters.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool renderSpecial = false) => new(this, renderSpecial);

    private int ByteToToken(byte b)
    {
        if (Kind == TokenizerKind.Spm)
        {
            var id = _vocab.Find($"<0x{b:X2}>");
            if (id >= 0) return id;
            id = _vocab.Find(((char)b).ToString());
            if (id >= 0 && b < 0x80) return id;
            throw new SharpInferException($"the vocabulary has no token for byte 0x{b:X2}");
        }
        var bpe = _vocab.Find(ByteLevel.Encode(b).ToString());
        return bpe >= 0 ? bpe : throw new SharpInferException($"the vocabulary has no token for byte 0x{b:X2}");
    }

    private byte[] BuildPiece(int id)
    {
        var attr = _vocab.Attributes[id];
        var text = _vocab.Texts[id];
        if ((attr & (TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined)) != 0)
            return Encoding.UTF8.GetBytes(text);
        if ((attr & TokenAttributes.Normal) != 0)
            return Kind == TokenizerKind.Spm ? Encoding.UTF8.GetBytes(text.Replace(EscapedSpace, ' ')) : DecodeByteLevel(text);
        if ((attr & TokenAttributes.Byte) != 0)
            return [TokenToByte(text)];
        return [];
    }

    /// <summary>"&lt;0xXX&gt;" → XX (strtol on the two characters after "&lt;0x").</summary>
    private static byte TokenToByte(string text)
    {
        var hex = text.Length >= 5 ? text.Substring(3, 2) : text.Length > 3 ? text[3..] : "";
        var value = 0;
        foreach (var ch in hex)
        {
            var d = ch is >= '0' and <= '9' ? ch - '0' : ch is >= 'a' and <= 'f' ? ch - 'a' + 10 : ch is >= 'A' and <= 'F' ? ch - 'A' + 10 : -1;
            if (d < 0) break;
            value = value * 16 + d;
        }
        return (byte)value;
    }

    /// <summary>llama_decode_text: byte-level characters back to bytes.</summary>
    private static byte[] DecodeByteLevel(string text)
    {
        var result = new List<byte>(text.Length);
        foreach (var cp in UnicodeFlags.Codepoints(text))
        {
            var b = ByteLevel.Decode(cp);
            if (b >= 0)
            {
                result.Add((byte)b);
                continue;
            }
            var utf8 = Encoding.UTF8.GetBytes(char.ConvertFromUtf32(cp));
            var sb = new StringBuilder("[UNK_BYTE_0x");
            foreach (var u in utf8) sb.Append(u.ToString("x2"));
            sb.Append(text).Append(']');
            result.AddRange(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        return result.ToArray();
    }
}
