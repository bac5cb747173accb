namespace SharpInfer.Models;

/// <summary>Whether a block tensor must be in the file.</summary>
public enum TensorPresence
{
    Required,
    Optional,
}

/// <summary>One tensor of a transformer block and whether the architecture requires it.</summary>
public readonly record struct LayerTensorSpec(LayerTensor Tensor, TensorPresence Presence);

/// <summary>
/// An architecture as data, in the spirit of llama.cpp's llama-arch / llama-model tables: which
/// tensors each block has, how RoPE pairs dimensions, and which checks llama.cpp makes on the
/// hyperparameters. The forward pass reads this description; there is no class per architecture.
/// </summary>
public sealed record ArchitectureDescription
{
    /// <summary>The value of <c>general.architecture</c> and the prefix of its metadata keys.</summary>
    public required string Name { get; init; }

    public required RopeStyle Rope { get; init; }

    /// <summary>The tensors of each block (anything else named <c>blk.N.*</c> is ignored, as llama.cpp does not load it either).</summary>
    public required IReadOnlyList<LayerTensorSpec> LayerTensors { get; init; }

    /// <summary>llama.cpp refuses files whose rope.dimension_count differs from the head size (llama).</summary>
    public bool RopeMustCoverHead { get; init; }

    /// <summary>Whether <c>rope_freqs.weight</c> (Llama-3 frequency factors) is read when present.</summary>
    public bool UsesRopeFreqFactors { get; init; }

    public TensorPresence PresenceOf(LayerTensor t)
    {
        foreach (var s in LayerTensors)
            if (s.Tensor == t) return s.Presence;
        return TensorPresence.Optional;
    }

    public bool Has(LayerTensor t)
    {
        foreach (var s in LayerTensors)
            if (s.Tensor == t) return true;
        return false;
    }
}
