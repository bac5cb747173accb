namespace SharpInfer.Numerics;

/// <summary>
/// Layout facts of one ggml type: how many elements a block holds and how many bytes it takes.
/// Values follow ggml's <c>type_traits</c> table; ids 4, 5, 31–33 and 36–38 are retired in ggml
/// and are unknown here.
/// </summary>
/// <param name="Type">The type.</param>
/// <param name="Name">ggml's name for it (as printed by llama.cpp).</param>
/// <param name="BlockSize">Elements per block (1 for plain types).</param>
/// <param name="BytesPerBlock">Bytes per block.</param>
/// <param name="IsQuantized">Whether values are stored in quantized blocks.</param>
public sealed record GgmlTypeInfo(GgmlType Type, string Name, int BlockSize, int BytesPerBlock, bool IsQuantized)
{
    private static readonly GgmlTypeInfo?[] ById = Build();

    /// <summary>Every type ggml defines, in id order.</summary>
    public static IReadOnlyList<GgmlTypeInfo> All { get; } = ById.Where(t => t is not null).Select(t => t!).ToArray();

    /// <summary>Returns the info for a raw id, or null when ggml defines no type with that id.</summary>
    public static GgmlTypeInfo? TryGet(uint id) => id < (uint)ById.Length ? ById[id] : null;

    /// <summary>Returns the info for a type.</summary>
    public static GgmlTypeInfo Get(GgmlType type) =>
        TryGet((uint)type) ?? throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");

    /// <summary>Bytes taken by <paramref name="elements"/> values; the count must be a multiple of the block size.</summary>
    public long RowBytes(long elements) => elements / BlockSize * BytesPerBlock;

    /// <summary>Finds a type by its ggml name (case-insensitive), or null.</summary>
    public static GgmlTypeInfo? TryParse(string name)
    {
        foreach (var t in All)
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }

    private static GgmlTypeInfo?[] Build()
    {
        var table = new GgmlTypeInfo?[40];
        void Add(GgmlType t, int blockSize, int bytes, bool quantized) =>
            table[(int)t] = new GgmlTypeInfo(t, t.ToString(), blockSize, bytes, quantized);

        const int QK = 32, QK_K = 256;
        Add(GgmlType.F32, 1, 4, false);
        Add(GgmlType.F16, 1, 2, false);
        Add(GgmlType.Q4_0, QK, 2 + QK / 2, true);
        Add(GgmlType.Q4_1, QK, 4 + QK / 2, true);
        Add(GgmlType.Q5_0, QK, 2 + 4 + QK / 2, true);
        Add(GgmlType.Q5_1, QK, 4 + 4 + QK / 2, true);
        Add(GgmlType.Q8_0, QK, 2 + QK, true);
        Add(GgmlType.Q8_1, QK, 4 + QK, true);
        Add(GgmlType.Q2_K, QK_K, QK_K / 16 + QK_K / 4 + 4, true);
        Add(GgmlType.Q3_K, QK_K, QK_K / 8 + QK_K / 4 + 12 + 2, true);
        Add(GgmlType.Q4_K, QK_K, 4 + 12 + QK_K / 2, true);
        Add(GgmlType.Q5_K, QK_K, 4 + 12 + QK_K / 8 + QK_K / 2, true);
        Add(GgmlType.Q6_K, QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, true);
        Add(GgmlType.Q8_K, QK_K, 4 + QK_K + QK_K / 16 * 2, true);
        Add(GgmlType.IQ2_XXS, QK_K, 2 + QK_K / 4, true);
        Add(GgmlType.IQ2_XS, QK_K, 2 + QK_K / 4 + QK_K / 32, true);
        Add(GgmlType.IQ3_XXS, QK_K, 2 + 3 * QK_K / 8, true);
        Add(GgmlType.IQ1_S, QK_K, 2 + QK_K / 8 + QK_K / 16, true);
        Add(GgmlType.IQ4_NL, QK, 2 + QK / 2, true);
        Add(GgmlType.IQ3_S, QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 8 + QK_K / 64, true);
        Add(GgmlType.IQ2_S, QK_K, 2 + QK_K / 4 + QK_K / 32 + QK_K / 32, true);
        Add(GgmlType.IQ4_XS, QK_K, 2 + 2 + QK_K / 64 + QK_K / 2, true);
        Add(GgmlType.I8, 1, 1, false);
        Add(GgmlType.I16, 1, 2, false);
        Add(GgmlType.I32, 1, 4, false);
        Add(GgmlType.I64, 1, 8, false);
        Add(GgmlType.F64, 1, 8, false);
        Add(GgmlType.IQ1_M, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32, true);
        Add(GgmlType.BF16, 1, 2, false);
        Add(GgmlType.TQ1_0, QK_K, (QK_K - 4 * QK_K / 64) / 5 + QK_K / 64 + 2, true);
        Add(GgmlType.TQ2_0, QK_K, QK_K / 4 + 2, true);
        Add(GgmlType.MXFP4, QK, 1 + QK / 2, true);
        return table;
    }
}
