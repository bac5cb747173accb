using System.Text;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Tokenizers;

/// <summary>
/// Everything llama_vocab::impl::load derives from the GGUF metadata: the model kind and its
/// defaults, the vocabulary, special ids, add-BOS/EOS flags, end-of-generation tokens and the
/// attribute fix-ups llama.cpp applies by token text and model name.
/// </summary>
internal sealed class TokenizerConfig
{
    public required TokenizerKind Kind { get; init; }
    public required string Model { get; init; }
    public string? Pre { get; init; }
    public BpePreType? PreType { get; init; }
    public required Vocabulary Vocab { get; init; }
    public BpeMerges? Merges { get; init; }
    public bool IgnoreMerges { get; init; }
    public int BosId { get; set; }
    public int EosId { get; set; }
    public int EotId { get; set; } = -1;
    public int EomId { get; set; } = -1;
    public int UnknownId { get; set; }
    public int SepId { get; set; } = -1;
    public int PadId { get; set; } = -1;
    public bool AddBos { get; set; }
    public bool AddEos { get; set; }
    public bool AddSpacePrefix { get; set; }
    public bool CleanSpaces { get; set; }
    public HashSet<int> Eog { get; } = [];
    public int[] SpecialTokens { get; set; } = [];

    private const string Prefix = "tokenizer.ggml.";

    public static TokenizerConfig Read(GgufFile f)
    {
        var model = f.GetString(Prefix + "model")
            ?? throw new SharpInferException($"{Path.GetFileName(f.Path)}: no tokenizer (tokenizer.ggml.model is missing)");
        var pre = f.GetString(Prefix + "pre");

        var tokensValue = f.GetValue(Prefix + "tokens")
            ?? throw new SharpInferException($"{Path.GetFileName(f.Path)}: cannot find tokenizer vocab (tokenizer.ggml.tokens)");
        var texts = (string[])tokensValue.AsArray().AsStrings().Clone();
        var n = texts.Length;

        var scores = new float[n];
        if (f.GetValue(Prefix + "scores") is { } scoresValue)
        {
            var arr = scoresValue.AsArray();
            if (arr.Count < n) throw new SharpInferException($"tokenizer.ggml.scores has {arr.Count} entries for {n} tokens");
            if (arr.Items is float[] fs) Array.Copy(fs, scores, n);
            else
            {
                var ints = arr.AsInt32s();
                for (var i = 0; i < n; i++) scores[i] = ints[i];
            }
        }

        var attrs = new TokenAttributes[n];
        Array.Fill(attrs, TokenAttributes.Normal);
        if (f.GetValue(Prefix + "token_type") is { } typesValue)
        {
            var types = typesValue.AsArray().AsInt32s();
            if (types.Length < n) throw new SharpInferException($"tokenizer.ggml.token_type has {types.Length} entries for {n} tokens");
            for (var i = 0; i < n; i++) attrs[i] = TokenTypes.ToAttributes(types[i]);
        }

        var vocab = new Vocabulary(texts, scores, attrs);

        TokenizerConfig c;
        switch (model)
        {
            case "llama":
                c = new TokenizerConfig
                {
                    Kind = TokenizerKind.Spm, Model = model, Pre = pre, Vocab = vocab,
                    BosId = 1, EosId = 2, UnknownId = 0,
                    AddSpacePrefix = true, AddBos = true, AddEos = false, CleanSpaces = false,
                };
                break;
            case "gpt2":
            {
                var info = BpePreTypes.Resolve(pre);
                var merges = f.GetValue(Prefix + "merges")?.AsArray().AsStrings()
                    ?? throw new SharpInferException("cannot find tokenizer merges in model file (tokenizer.ggml.merges)");
                c = new TokenizerConfig
                {
                    Kind = TokenizerKind.Bpe, Model = model, Pre = pre, PreType = info.Type, Vocab = vocab,
                    Merges = new BpeMerges(merges), IgnoreMerges = info.IgnoreMerges,
                    BosId = info.NoBos ? -1 : 11, EosId = 11, UnknownId = -1,
                    AddSpacePrefix = false, AddBos = info.AddBos ?? false, AddEos = false, CleanSpaces = info.CleanSpaces,
                };
                break;
            }
            default:
                throw new SharpInferException($"tokenizer model '{model}' is not supported (only 'llama' SPM and 'gpt2' BPE)");
        }

        if (f.GetValue(Prefix + "add_space_prefix") is { } asp) c.AddSpacePrefix = asp.AsBool();
        c.ReadSpecialIds(f);
        if (f.GetValue(Prefix + "add_bos_token") is { } ab) c.AddBos = ab.AsBool();
        if (f.GetValue(Prefix + "add_eos_token") is { } ae) c.AddEos = ae.AsBool();
        if (c.AddBos && c.BosId < 0) throw new SharpInferException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        if (c.AddEos && c.EosId < 0) throw new SharpInferException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");

        c.DetectByText();
        c.BuildSpecialTokenCache();
        c.ApplyModelAttributes(f);
        return c;
    }

    private int _fimPre = -1, _fimSuf = -1, _fimMid = -1, _fimPad = -1, _fimRep = -1, _fimSep = -1;

    private void ReadSpecialIds(GgufFile f)
    {
        var n = Vocab.Count;
        int Read(string key, int current)
        {
            if (current >= n) current = -1; // a default outside the vocabulary is disabled
            if (f.GetValue(Prefix + key) is not { } v) return current;
            var id = v.AsInt64();
            return id >= 0 && id < n ? (int)id : current;
        }
        BosId = Read("bos_token_id", BosId);
        EosId = Read("eos_token_id", EosId);
        EotId = Read("eot_token_id", EotId);
        EomId = Read("eom_token_id", EomId);
        UnknownId = Read("unknown_token_id", UnknownId);
        SepId = Read("seperator_token_id", SepId);
        PadId = Read("padding_token_id", PadId);
        _fimPre = Read("fim_pre_token_id", _fimPre);
        _fimSuf = Read("fim_suf_token_id", _fimSuf);
        _fimMid = Read("fim_mid_token_id", _fimMid);
        _fimPad = Read("fim_pad_token_id", _fimPad);
        _fimRep = Read("fim_rep_token_id", _fimRep);
        _fimSep = Read("fim_sep_token_id", _fimSep);
        _fimPre = Read("prefix_token_id", _fimPre);
        _fimSuf = Read("suffix_token_id", _fimSuf);
        _fimMid = Read("middle_token_id", _fimMid);
    }

    private static readonly string[] EotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
         "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly string[] FimPreTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    private static readonly string[] FimSufTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    private static readonly string[] FimMidTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    private static readonly string[] FimRepTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
    private static readonly string[] EogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>",
         "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
         "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];

    /// <summary>llama.cpp finds EOT/EOM/FIM/EOG tokens by their text and marks them as control.</summary>
    private void DetectByText()
    {
        var texts = Vocab.Texts;
        var attrs = Vocab.Attributes;
        int Detect(int current, string[] candidates)
        {
            if (current >= 0) return current;
            // llama.cpp takes the first match in hash-map order; we take the first candidate
            // in its list order (for Llama 3 that is <|eot_id|>, as llama.cpp reports).
            foreach (var candidate in candidates)
            {
                var id = Vocab.Find(candidate);
                if (id < 0) continue;
                attrs[id] |= TokenAttributes.Control;
                return id;
            }
            return -1;
        }
        EotId = Detect(EotId, EotTexts);
        EomId = Detect(EomId, ["<|eom_id|>"]);
        _fimPre = Detect(_fimPre, FimPreTexts);
        _fimSuf = Detect(_fimSuf, FimSufTexts);
        _fimMid = Detect(_fimMid, FimMidTexts);
        _fimPad = Detect(_fimPad, FimPadTexts);
        _fimRep = Detect(_fimRep, FimRepTexts);
        _fimSep = Detect(_fimSep, ["<|file_sep|>"]);

        for (var id = 0; id < texts.Length; id++)
            if ((attrs[id] & TokenAttributes.Control) != 0 && texts[id].Contains("unused", StringComparison.Ordinal))
                attrs[id] |= TokenAttributes.Unused;

        foreach (var id in new[] { _fimPad, _fimRep, _fimSep })
            if (id >= 0) Eog.Add(id);
        for (var id = 0; id < texts.Length; id++)
        {
            if (Array.IndexOf(EogTexts, texts[id]) < 0) continue;
            Eog.Add(id);
            attrs[id] |= TokenAttributes.Control;
        }
        for (var id = 0; id < texts.Length; id++)
            if (texts[id] is "<|channel|>" or "<|message|>" or "<|start|>" or "<|constrain|>")
                attrs[id] = TokenAttributes.UserDefined;

        if (EosId >= 0) Eog.Add(EosId);
        if (EotId >= 0) Eog.Add(EotId);
        if (EomId >= 0) Eog.Add(EomId);

        // o200k_harmony / solar-open: "<|end|>" is not an end of generation there.
        bool HasEog(string t) => Eog.Any(id => texts[id] == t);
        if ((HasEog("<|return|>") && HasEog("<|call|>") && HasEog("<|end|>"))
            || ((HasEog("<|call|>") || HasEog("<|calls|>")) && HasEog("<|flush|>") && HasEog("<|end|>")))
        {
            var end = Eog.First(id => texts[id] == "<|end|>");
            Eog.Remove(end);
            attrs[end] = TokenAttributes.UserDefined;
        }
        // gemma4 / paddleocr: "</s>" is not an end of generation there.
        if (HasEog("<|tool_response>") && HasEog("</s>"))
        {
            var s = Eog.First(id => texts[id] == "</s>");
            Eog.Remove(s);
            attrs[s] = TokenAttributes.Normal;
        }
    }

    private void BuildSpecialTokenCache()
    {
        var list = new List<int>();
        for (var id = 0; id < Vocab.Count; id++)
            if (Vocab.Has(id, TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown))
                list.Add(id);
        var lengths = list.ToDictionary(id => id, id => Encoding.UTF8.GetByteCount(Vocab.Texts[id]));
        // Longest first (llama.cpp's sort is not stable; ties keep id order here).
        SpecialTokens = list.OrderByDescending(id => lengths[id]).ThenBy(id => id).ToArray();
    }

    /// <summary>Per-model attribute fix-ups of llama_vocab::impl::load (by pre-tokenizer, architecture, model name).</summary>
    private void ApplyModelAttributes(GgufFile f)
    {
        var name = (f.GetString("general.name") ?? "").ToLowerInvariant();
        var arch = f.GetString("general.architecture") ?? "";
        var pre = Pre ?? "";
        var attrs = Vocab.Attributes;
        void Set(string text, TokenAttributes attr, bool value)
        {
            var id = Vocab.Find(text);
            if (id < 0) return;
            attrs[id] = value ? attrs[id] | attr : attrs[id] & ~attr;
        }

        if (pre.Contains("jina-v2-de") || pre.Contains("jina-v2-es") || pre.Contains("jina-v2-code")
            || arch.Contains("nomic-bert-moe") || arch.Contains("jina-bert-v3"))
        {
            Set("<mask>", TokenAttributes.LStrip, true);
        }
        else if (name.Contains("phi-3") || name.Contains("phi3"))
        {
            foreach (var id in SpecialTokens) attrs[id] |= TokenAttributes.RStrip;
            Set("</s>", TokenAttributes.RStrip, true);
            foreach (var t in new[] { "<unk>", "<s>", "<|endoftext|>" }) Set(t, TokenAttributes.RStrip, false);
        }
        else if (name.Contains("modern-bert"))
        {
            Set("[MASK]", TokenAttributes.LStrip, true);
        }
    }
}
