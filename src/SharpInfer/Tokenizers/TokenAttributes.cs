namespace SharpInfer.Tokenizers;

/// <summary>llama.cpp's per-token attributes (llama_token_attr), derived from tokenizer.ggml.token_type.</summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    Normalized = 1 << 6,
    LStrip = 1 << 7,
    RStrip = 1 << 8,
    SingleWord = 1 << 9,
}

/// <summary>The model kinds of <c>tokenizer.ggml.model</c> we support.</summary>
public enum TokenizerKind
{
    /// <summary>"llama": SentencePiece BPE by score, byte fallback, spaces as U+2581.</summary>
    Spm,

    /// <summary>"gpt2": byte-level BPE with ranked merges and a regex pre-tokenizer.</summary>
    Bpe,
}

internal static class TokenTypes
{
    /// <summary>GGUF token type (llama_token_type) → attribute.</summary>
    public static TokenAttributes ToAttributes(int type) => type switch
    {
        1 => TokenAttributes.Normal,
        2 => TokenAttributes.Unknown,
        3 => TokenAttributes.Control,
        4 => TokenAttributes.UserDefined,
        5 => TokenAttributes.Unused,
        6 => TokenAttributes.Byte,
        _ => TokenAttributes.Undefined,
    };
}
