namespace SharpInfer.Models;

/// <summary>All weights of a model, bound to the tensors of its GGUF file.</summary>
public sealed class ModelWeights
{
    public required WeightMatrix TokenEmbedding { get; init; }
    public required float[] OutputNorm { get; init; }

    /// <summary>The output projection; the token embedding itself when the file ties them (no output.weight).</summary>
    public required WeightMatrix Output { get; init; }

    public bool OutputIsTied => ReferenceEquals(Output, TokenEmbedding);

    /// <summary>Llama-3 <c>rope_freqs.weight</c>: per-pair divisors of the RoPE angle, or null.</summary>
    public float[]? RopeFreqFactors { get; init; }

    public required IReadOnlyList<LayerWeights> Layers { get; init; }
}
