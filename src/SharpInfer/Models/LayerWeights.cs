namespace SharpInfer.Models;

/// <summary>The weights of one transformer block; optional parts are null when the architecture or file lacks them.</summary>
public sealed class LayerWeights
{
    public required float[] AttnNorm { get; init; }
    public required WeightMatrix Wq { get; init; }
    public required WeightMatrix Wk { get; init; }
    public required WeightMatrix Wv { get; init; }
    public required WeightMatrix Wo { get; init; }
    public float[]? Bq { get; init; }
    public float[]? Bk { get; init; }
    public float[]? Bv { get; init; }
    public float[]? Bo { get; init; }

    /// <summary>Qwen3: RMS norm weights applied to each q / k head before RoPE.</summary>
    public float[]? QNorm { get; init; }
    public float[]? KNorm { get; init; }

    public required float[] FfnNorm { get; init; }
    public required WeightMatrix FfnGate { get; init; }
    public required WeightMatrix FfnUp { get; init; }
    public required WeightMatrix FfnDown { get; init; }
}
