using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Tools;

/// <summary>
/// llama.cpp's <c>llama_tensor_get_type</c> for the Q4_K_M and Q5_K_M mixtures: more bits for the
/// output projection and for the attn_v / ffn_down weights of the first and last eighth of the
/// layers and every third layer between. It counts attn_v and ffn_down tensors as they come, so
/// tensors must be offered in llama.cpp's order, each once.
/// </summary>
internal sealed class MixtureTypeChooser
{
    private readonly QuantizationMixture _mixture;
    private readonly string _arch;
    private readonly bool _hasOutput;
    private readonly int _nAttentionV;
    private readonly int _nLayer;
    private readonly int _nExpert;
    private readonly bool _is70B;
    private int _iAttentionV;
    private int _iFfnDown;

    public MixtureTypeChooser(GgufFile model, QuantizationMixture mixture)
    {
        _mixture = mixture;
        _arch = model.Architecture ?? "";
        foreach (var t in model.Tensors)
        {
            if (IsAttentionV(t.Name)) _nAttentionV++;
            else if (t.Name == "output.weight") _hasOutput = true;
        }
        _nLayer = (int)(model.GetValue($"{_arch}.block_count")?.AsInt64() ?? 0);
        _nExpert = Math.Max(1, (int)(model.GetValue($"{_arch}.expert_count")?.AsInt64() ?? 0));
        // llama.cpp sizes an 80-layer llama with grouped KV heads as 70B and gives its attn_v more bits.
        var heads = model.GetValue($"{_arch}.attention.head_count");
        var kvHeads = model.GetValue($"{_arch}.attention.head_count_kv");
        _is70B = _arch == "llama" && _nLayer == 80 && heads is not null && kvHeads is not null
            && heads.IsInteger && kvHeads.IsInteger && heads.AsInt64() != kvHeads.AsInt64();
    }

    /// <summary>The mixture's type for a tensor that llama.cpp quantizes, before the row-length fallback.</summary>
    public GgmlType Choose(GgufTensorInfo t, GgmlType baseType)
    {
        var name = t.Name;
        var type = baseType;
        // With a tied output the token embedding is the output projection, so it gets the output's type.
        if (name == "output.weight" || (!_hasOutput && name == "token_embd.weight"))
        {
            if (_arch == "falcon" || t.RowLength % GgmlTypeInfo.Get(type).BlockSize != 0) return GgmlType.Q8_0;
            return type == GgmlType.Q8_0 ? type : GgmlType.Q6_K;
        }
        if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            if (UseMoreBits(_iAttentionV, _nAttentionV)) type = GgmlType.Q6_K;
            if (_is70B && type == GgmlType.Q4_K) type = GgmlType.Q5_K;
            if (_nExpert == 8) type = GgmlType.Q8_0;
            _iAttentionV++;
            return type;
        }
        if (name.Contains("attn_k.weight", StringComparison.Ordinal))
            return _nExpert == 8 ? GgmlType.Q8_0 : type;
        if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            var layer = LayerOf(name, _iFfnDown);
            if (_mixture == QuantizationMixture.Q4_K_M && _arch == "falcon")
                type = layer < _nLayer / 16 ? GgmlType.Q6_K : UseMoreBits(layer, _nLayer) ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (UseMoreBits(layer, _nLayer))
                type = GgmlType.Q6_K;
            _iFfnDown++;
            return type;
        }
        if (name.Contains("attn_output.weight", StringComparison.Ordinal))
            return _arch != "falcon" && _nExpert == 8 && _mixture == QuantizationMixture.Q4_K_M ? GgmlType.Q5_K : type;
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal))
            return _mixture == QuantizationMixture.Q4_K_M ? GgmlType.Q5_K : GgmlType.Q6_K;
        return type;
    }

    /// <summary>llama.cpp's <c>use_more_bits</c>, in C++ integer arithmetic.</summary>
    public static bool UseMoreBits(int i, int n) => i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;

    // llama.cpp counts attn_qkv and attn_kv_b with attn_v (they hold V) but gives only attn_v itself more bits.
    private static bool IsAttentionV(string name) =>
        name.Contains("attn_v.weight", StringComparison.Ordinal) || name.Contains("attn_qkv.weight", StringComparison.Ordinal)
        || name.Contains("attn_kv_b.weight", StringComparison.Ordinal);

    // Experts of one layer are not consecutive in some files, so MoE models take the layer from the name.
    private int LayerOf(string name, int counted)
    {
        if (_nExpert <= 1) return counted;
        var end = name.StartsWith("blk.", StringComparison.Ordinal) ? name.IndexOf('.', 4) : -1;
        if (end < 0 || !int.TryParse(name.AsSpan(4, end - 4), out var layer) || layer < 0 || layer >= _nLayer)
            throw new SharpInferException($"cannot tell the layer of tensor {name}");
        return layer;
    }
}
