using SharpInfer.Backends;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Placement;

/// <summary>Which of llama.cpp's layer groups a tensor belongs to.</summary>
public enum LayerKind
{
    /// <summary>Token (and position) embeddings; always on the CPU.</summary>
    Input,
    /// <summary>A repeating block <c>blk.N</c>.</summary>
    Repeating,
    /// <summary>Output norm and output projection; placed like layer n_layer.</summary>
    Output,
}

/// <summary>Where a tensor sits in the model and what operation reads it.</summary>
/// <param name="Kind">Input, repeating or output.</param>
/// <param name="Op">The operation that reads the tensor.</param>
/// <param name="Layer">Block index for <see cref="LayerKind.Repeating"/>; −1 for input, n_layer for output.</param>
/// <param name="IsExpert">An MoE expert tensor (<c>*_exps</c>).</param>
public sealed record TensorRole(LayerKind Kind, int Layer, WeightOp Op, bool IsExpert)
{
    /// <summary>
    /// Classifies a tensor by its GGUF name, as llama.cpp's tensor table does: <c>token_embd</c> is
    /// input, <c>output</c>/<c>output_norm</c> output, <c>blk.N.*</c> layer N (global rope factors
    /// belong to layer 0, which owns them in llama.cpp).
    /// </summary>
    public static TensorRole Classify(GgufTensorInfo tensor, int nLayer)
    {
        string name = tensor.Name;
        int dot = name.LastIndexOf('.');
        string suffix = dot < 0 ? "" : name[(dot + 1)..];
        string stem = dot < 0 ? name : name[..dot];
        bool bias = suffix == "bias";

        if (stem.StartsWith("blk.", StringComparison.Ordinal))
        {
            int end = stem.IndexOf('.', 4);
            if (end < 0 || !int.TryParse(stem.AsSpan(4, end - 4), System.Globalization.NumberStyles.None, null, out int layer))
                throw new SharpInferException($"tensor '{name}': cannot read its layer number");
            if (layer >= nLayer)
                throw new SharpInferException($"tensor '{name}': layer {layer} is beyond the model's {nLayer} layers");
            string baseName = stem[(end + 1)..];
            bool expert = baseName.EndsWith("_exps", StringComparison.Ordinal);
            return new TensorRole(LayerKind.Repeating, layer, OpOf(baseName, bias, expert, tensor.Dimensions.Length), expert);
        }

        switch (stem)
        {
            case "token_embd":
            case "position_embd":
            case "token_types":
                return new TensorRole(LayerKind.Input, -1, bias ? WeightOp.Add : WeightOp.GetRows, false);
            case "token_embd_norm":
                return new TensorRole(LayerKind.Input, -1, bias ? WeightOp.Add : WeightOp.Mul, false);
            case "output_norm":
                return new TensorRole(LayerKind.Output, nLayer, bias ? WeightOp.Add : WeightOp.Mul, false);
            case "output":
            case "cls":
            case "cls.output":
                return new TensorRole(LayerKind.Output, nLayer, bias ? WeightOp.Add : WeightOp.MatMul, false);
            case "rope_freqs":
            case "rope_factors_long":
            case "rope_factors_short":
                return new TensorRole(LayerKind.Repeating, 0, WeightOp.Rope, false);
        }
        throw new SharpInferException($"tensor '{name}': not a tensor the planner knows where to place");
    }

    private static WeightOp OpOf(string baseName, bool bias, bool expert, int dims)
    {
        if (bias) return expert ? WeightOp.AddId : WeightOp.Add;
        if (expert) return WeightOp.MatMulId;
        if (baseName == "exp_probs_b") return WeightOp.Add;
        if (baseName.Contains("norm", StringComparison.Ordinal)) return WeightOp.Mul;
        return dims >= 2 ? WeightOp.MatMul : WeightOp.Mul;
    }
}
