namespace SharpInfer.Models;

/// <summary>The architectures SharpInfer can run, keyed by <c>general.architecture</c>.</summary>
public static class Architectures
{
    private static LayerTensorSpec R(LayerTensor t) => new(t, TensorPresence.Required);
    private static LayerTensorSpec O(LayerTensor t) => new(t, TensorPresence.Optional);

    private static readonly LayerTensorSpec[] SwiGluFfn =
        [R(LayerTensor.FfnNorm), R(LayerTensor.FfnGate), R(LayerTensor.FfnUp), R(LayerTensor.FfnDown)];

    /// <summary>Llama 1/2/3, Mistral and friends: biases are optional (llama.cpp loads them when present).</summary>
    public static ArchitectureDescription Llama { get; } = new()
    {
        Name = "llama",
        Rope = RopeStyle.Normal,
        RopeMustCoverHead = true,
        UsesRopeFreqFactors = true,
        LayerTensors =
        [
            R(LayerTensor.AttnNorm), R(LayerTensor.AttnQ), R(LayerTensor.AttnK), R(LayerTensor.AttnV), R(LayerTensor.AttnOutput),
            O(LayerTensor.AttnQBias), O(LayerTensor.AttnKBias), O(LayerTensor.AttnVBias), O(LayerTensor.AttnOutputBias),
            .. SwiGluFfn,
        ],
    };

    /// <summary>Qwen2 / Qwen2.5: q/k/v biases, NeoX RoPE.</summary>
    public static ArchitectureDescription Qwen2 { get; } = new()
    {
        Name = "qwen2",
        Rope = RopeStyle.NeoX,
        LayerTensors =
        [
            R(LayerTensor.AttnNorm), R(LayerTensor.AttnQ), R(LayerTensor.AttnK), R(LayerTensor.AttnV), R(LayerTensor.AttnOutput),
            R(LayerTensor.AttnQBias), R(LayerTensor.AttnKBias), R(LayerTensor.AttnVBias),
            .. SwiGluFfn,
        ],
    };

    /// <summary>Qwen3 (dense): per-head RMS norm of q and k before RoPE, NeoX RoPE, no biases.</summary>
    public static ArchitectureDescription Qwen3 { get; } = new()
    {
        Name = "qwen3",
        Rope = RopeStyle.NeoX,
        LayerTensors =
        [
            R(LayerTensor.AttnNorm), R(LayerTensor.AttnQ), R(LayerTensor.AttnK), R(LayerTensor.AttnV), R(LayerTensor.AttnOutput),
            R(LayerTensor.AttnQNorm), R(LayerTensor.AttnKNorm),
            .. SwiGluFfn,
        ],
    };

    public static IReadOnlyList<ArchitectureDescription> All { get; } = [Llama, Qwen2, Qwen3];

    public static ArchitectureDescription? Find(string name)
    {
        foreach (var a in All)
            if (a.Name == name) return a;
        return null;
    }

    /// <summary>The description for <paramref name="name"/>, or a <see cref="SharpInferException"/> naming it.</summary>
    public static ArchitectureDescription Get(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw new SharpInferException("the file has no general.architecture; it is not a model SharpInfer can run");
        return Find(name) ?? throw new SharpInferException(
            $"architecture '{name}' is not supported (supported: {string.Join(", ", All.Select(a => a.Name))})");
    }
}
