namespace SharpInfer.Inference.Sampling;

/// <summary>
/// The sampling chain's settings, with llama.cpp's defaults. The chain runs in llama.cpp's order:
/// penalties, top-k, top-p, min-p, temperature, then the random draw.
/// </summary>
public sealed record SamplerParams
{
    /// <summary><c>--temp</c>; 0 or less means greedy (argmax).</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary><c>--top-k</c>; 0 or less disables it.</summary>
    public int TopK { get; init; } = 40;

    /// <summary><c>--top-p</c>; 1 disables it.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary><c>--min-p</c>; 0 disables it.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary><c>--repeat-penalty</c>; 1 disables it (llama.cpp's default).</summary>
    public float RepeatPenalty { get; init; } = 1.0f;

    /// <summary><c>--repeat-last-n</c>: how many recent tokens the penalties look at; -1 = the whole context.</summary>
    public int RepeatLastN { get; init; } = 64;

    /// <summary><c>--presence-penalty</c>.</summary>
    public float PresencePenalty { get; init; }

    /// <summary><c>--frequency-penalty</c>.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary><c>-s/--seed</c>; null picks a random seed (see <see cref="Sampler.Seed"/>).</summary>
    public uint? Seed { get; init; }

    public bool PenaltiesEnabled => RepeatPenalty != 1.0f || PresencePenalty != 0f || FrequencyPenalty != 0f;
}
