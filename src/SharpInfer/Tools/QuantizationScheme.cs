using SharpInfer.Numerics;

namespace SharpInfer.Tools;

/// <summary>Which of llama.cpp's per-tensor type choices apply on top of a scheme's base type.</summary>
public enum QuantizationMixture
{
    /// <summary><c>llama-quantize --pure</c>: every quantizable weight in the base type.</summary>
    Pure,
    /// <summary>llama.cpp's Q4_K_M: Q4_K, with Q6_K for the output and for some attn_v / ffn_down layers.</summary>
    Q4_K_M,
    /// <summary>llama.cpp's Q5_K_M: Q5_K, with Q6_K for the output and for some attn_v / ffn_down layers.</summary>
    Q5_K_M,
}

/// <summary>
/// What <c>llama-quantize</c> calls an ftype: a base type plus the mixture rules that pick each
/// tensor's type. Plain type names (Q4_0, Q6_K, ...) are pure; Q4_K_M and Q5_K_M are llama.cpp's mixtures.
/// </summary>
public sealed record QuantizationScheme(string Name, GgmlType BaseType, QuantizationMixture Mixture)
{
    public static QuantizationScheme Q4_K_M { get; } = new("Q4_K_M", GgmlType.Q4_K, QuantizationMixture.Q4_K_M);
    public static QuantizationScheme Q5_K_M { get; } = new("Q5_K_M", GgmlType.Q5_K, QuantizationMixture.Q5_K_M);

    public static QuantizationScheme Pure(GgmlType type) => new(GgmlTypeInfo.Get(type).Name, type, QuantizationMixture.Pure);

    /// <summary>llama.cpp's <c>llama_ftype</c>, stored as <c>general.file_type</c>.</summary>
    public uint FileType => Mixture switch
    {
        QuantizationMixture.Q4_K_M => 15,
        QuantizationMixture.Q5_K_M => 17,
        _ => ModelQuantizer.FileType(BaseType),
    };

    /// <summary>Every name <see cref="TryParse"/> accepts.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            var names = new List<string>();
            foreach (var t in ModelQuantizer.Targets) names.Add(GgmlTypeInfo.Get(t).Name);
            names.Add(Q4_K_M.Name);
            names.Add(Q5_K_M.Name);
            return names;
        }
    }

    /// <summary>A mixture name (Q4_K_M, Q5_K_M) or a type name for a pure file; null when unknown.</summary>
    public static QuantizationScheme? TryParse(string name)
    {
        if (string.Equals(name, Q4_K_M.Name, StringComparison.OrdinalIgnoreCase)) return Q4_K_M;
        if (string.Equals(name, Q5_K_M.Name, StringComparison.OrdinalIgnoreCase)) return Q5_K_M;
        var info = GgmlTypeInfo.TryParse(name);
        return info is null ? null : Pure(info.Type);
    }

    public override string ToString() => Name;
}
