namespace SharpInfer.Models;

/// <summary>The tensors a transformer block can have; names follow llama.cpp's <c>LLM_TENSOR_NAMES</c>.</summary>
public enum LayerTensor
{
    AttnNorm,
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    AttnQBias,
    AttnKBias,
    AttnVBias,
    AttnOutputBias,
    AttnQNorm,
    AttnKNorm,
    FfnNorm,
    FfnGate,
    FfnUp,
    FfnDown,
}

/// <summary>GGUF names of <see cref="LayerTensor"/> values.</summary>
public static class LayerTensorNames
{
    /// <summary>The file name of a block tensor, e.g. <c>blk.3.attn_q.weight</c>.</summary>
    public static string Of(LayerTensor t, int layer) => $"blk.{layer}.{Suffix(t)}";

    public static string Suffix(LayerTensor t) => t switch
    {
        LayerTensor.AttnNorm => "attn_norm.weight",
        LayerTensor.AttnQ => "attn_q.weight",
        LayerTensor.AttnK => "attn_k.weight",
        LayerTensor.AttnV => "attn_v.weight",
        LayerTensor.AttnOutput => "attn_output.weight",
        LayerTensor.AttnQBias => "attn_q.bias",
        LayerTensor.AttnKBias => "attn_k.bias",
        LayerTensor.AttnVBias => "attn_v.bias",
        LayerTensor.AttnOutputBias => "attn_output.bias",
        LayerTensor.AttnQNorm => "attn_q_norm.weight",
        LayerTensor.AttnKNorm => "attn_k_norm.weight",
        LayerTensor.FfnNorm => "ffn_norm.weight",
        LayerTensor.FfnGate => "ffn_gate.weight",
        LayerTensor.FfnUp => "ffn_up.weight",
        LayerTensor.FfnDown => "ffn_down.weight",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };
}
