namespace SharpInfer.Tokenizers;

/// <summary>The pre-tokenizer families of llama.cpp (LLAMA_VOCAB_PRE_TYPE_*) that we implement.</summary>
public enum BpePreType
{
    Default,
    Llama3,
    DeepseekLlm,
    DeepseekCoder,
    Falcon,
    Mpt,
    Starcoder,
    Gpt2,
    Refact,
    CommandR,
    StableLm2,
    Qwen2,
    Olmo,
    Dbrx,
    Smaug,
    Poro,
    ChatGlm4,
    Viking,
    Jais,
    Tekken,
    Smollm,
    Codeshell,
    Bloom,
    Gpt3Finnish,
    Exaone,
    Chameleon,
    Minerva,
    Gpt4o,
    SeedCoder,
}

/// <summary>
/// <c>tokenizer.ggml.pre</c> → pre-tokenizer type, regexes and the flags llama.cpp sets with it
/// (llama_vocab::impl::load and llm_tokenizer_bpe).
/// </summary>
internal static class BpePreTypes
{
    public readonly record struct Info(BpePreType Type, bool IgnoreMerges, bool? AddBos, bool CleanSpaces, bool NoBos);

    public static Info Resolve(string? pre)
    {
        Info I(BpePreType t, bool ignoreMerges = false, bool? addBos = null, bool clean = true, bool noBos = false) =>
            new(t, ignoreMerges, addBos, clean, noBos);

        return pre switch
        {
            null or "" or "default" => I(BpePreType.Default),
            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2"
                or "jina-v5-nano" => I(BpePreType.Llama3, ignoreMerges: true, addBos: true),
            "deepseek-llm" => I(BpePreType.DeepseekLlm, clean: false),
            "deepseek-coder" => I(BpePreType.DeepseekCoder, clean: false),
            "falcon" => I(BpePreType.Falcon),
            "mpt" => I(BpePreType.Mpt),
            "starcoder" => I(BpePreType.Starcoder),
            "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0"
                or "mellum" or "modern-bert" or "exaone4" or "jina-v1-en" or "jina-v2-code" or "roberta-bpe"
                => I(BpePreType.Gpt2),
            "refact" => I(BpePreType.Refact),
            "command-r" => I(BpePreType.CommandR, clean: false),
            "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" => I(BpePreType.Qwen2, clean: false),
            "megrez" => I(BpePreType.Qwen2),
            "stablelm2" => I(BpePreType.StableLm2),
            "olmo" => I(BpePreType.Olmo),
            "dbrx" => I(BpePreType.Dbrx),
            "smaug-bpe" => I(BpePreType.Smaug),
            "poro-chat" => I(BpePreType.Poro, clean: false),
            "glm4" or "chatglm-bpe" => I(BpePreType.ChatGlm4, noBos: true),
            "viking" => I(BpePreType.Viking, clean: false),
            "jais" => I(BpePreType.Jais),
            "tekken" => I(BpePreType.Tekken, ignoreMerges: true, addBos: true, clean: false),
            "smollm" => I(BpePreType.Smollm, clean: false),
            "codeshell" => I(BpePreType.Codeshell),
            "bloom" => I(BpePreType.Bloom),
            "gpt3-finnish" => I(BpePreType.Gpt3Finnish),
            "exaone" => I(BpePreType.Exaone),
            "chameleon" => I(BpePreType.Chameleon, addBos: true, clean: false),
            "minerva-7b" => I(BpePreType.Minerva),
            "gpt-4o" or "llama4" => I(BpePreType.Gpt4o, clean: false),
            "seed-coder" => I(BpePreType.SeedCoder, clean: false),
            _ => throw new SharpInferException($"unknown pre-tokenizer type: '{pre}' (tokenizer.ggml.pre)"),
        };
    }

    private const string Llama3 = PreTokenizer.Llama3Regex;
    private const string Gpt2 = PreTokenizer.Gpt2Regex;

    public static string[] Regexes(BpePreType type) => type switch
    {
        BpePreType.Llama3 or BpePreType.Dbrx or BpePreType.Smaug or BpePreType.ChatGlm4 => [Llama3],
        BpePreType.DeepseekLlm =>
        [
            "[\r\n]",
            "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
            "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
            "\\s+$",
            "[一-龥ࠀ-一가-퟿]+",
            "\\p{N}+",
        ],
        BpePreType.DeepseekCoder =>
        [
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[一-龥ࠀ-一가-퟿]+",
            "\\p{N}",
        ],
        BpePreType.Falcon => ["[\\p{P}\\$\\+<=>\\^~\\|`]+", Gpt2, "[0-9][0-9][0-9]"],
        BpePreType.Starcoder or BpePreType.Refact or BpePreType.CommandR or BpePreType.Smollm
            or BpePreType.Codeshell or BpePreType.Exaone or BpePreType.Minerva => ["\\p{N}", Gpt2],
        BpePreType.Gpt2 or BpePreType.Mpt or BpePreType.Olmo or BpePreType.Jais => [Gpt2],
        BpePreType.StableLm2 or BpePreType.Qwen2 =>
        [
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.Poro or BpePreType.Bloom or BpePreType.Gpt3Finnish => [" ?[^(\\s|.,!?…。，、।۔،)]+"],
        BpePreType.Viking => [" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"],
        BpePreType.Tekken =>
        [
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.Chameleon =>
        [
            "<sentinel:[0-9]+>",
            "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
            "([\\t\\n]|    |  )",
            "\\p{N}",
            "[\\p{P}!-/:-@\\[-`{-~]",
            Gpt2,
        ],
        BpePreType.Gpt4o =>
        [
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        BpePreType.SeedCoder =>
        [
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
        ],
        _ => ["[\\p{P}\\$\\+<=>\\^~\\|]+", Gpt2, "\\p{N}+", "[0-9][0-9][0-9]"],
    };
}
