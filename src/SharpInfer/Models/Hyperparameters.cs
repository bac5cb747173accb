namespace SharpInfer.Models;

/// <summary>
/// The numbers that shape a model, read from the <c>{arch}.*</c> metadata keys with llama.cpp's
/// defaults (see <see cref="HyperparameterReader"/>).
/// </summary>
public sealed record Hyperparameters
{
    public required int VocabSize { get; init; }

    /// <summary><c>context_length</c>: the context the model was trained with.</summary>
    public required int TrainingContextLength { get; init; }

    public required int EmbeddingLength { get; init; }
    public required int BlockCount { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int HeadCount { get; init; }

    /// <summary>Key/value heads (GQA when fewer than <see cref="HeadCount"/>, MQA when 1).</summary>
    public required int HeadCountKv { get; init; }

    /// <summary><c>attention.key_length</c>: size of one q/k head (default embedding_length / head_count).</summary>
    public required int KeyLength { get; init; }

    /// <summary><c>attention.value_length</c>: size of one v head (default embedding_length / head_count).</summary>
    public required int ValueLength { get; init; }

    public required float RmsNormEpsilon { get; init; }

    /// <summary><c>rope.dimension_count</c>: how many dimensions of each head RoPE rotates (default the head size).</summary>
    public required int RopeDimensionCount { get; init; }

    public required float RopeFreqBase { get; init; }

    /// <summary>1 / <c>rope.scaling.factor</c> (1 when absent): linear position interpolation.</summary>
    public required float RopeFreqScale { get; init; }

    /// <summary><c>rope.scaling.type</c> as written in the file (llama.cpp's default "linear").</summary>
    public required string RopeScalingType { get; init; }

    /// <summary>Width of the K rows of all KV heads together (n_embd_k_gqa).</summary>
    public int KeyWidth => KeyLength * HeadCountKv;

    /// <summary>Width of the V rows of all KV heads together (n_embd_v_gqa).</summary>
    public int ValueWidth => ValueLength * HeadCountKv;

    /// <summary>Heads that share one KV head.</summary>
    public int GroupSize => HeadCount / HeadCountKv;
}
