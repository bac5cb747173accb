namespace SharpInfer.Models;

/// <summary>How RoPE pairs the dimensions of a head (ggml's rope modes).</summary>
public enum RopeStyle
{
    /// <summary>ggml mode 0 (llama): rotates adjacent pairs (2i, 2i+1).</summary>
    Normal,

    /// <summary>ggml mode 2 (GPT-NeoX, Qwen): rotates (i, i + n_rot/2).</summary>
    NeoX,
}
