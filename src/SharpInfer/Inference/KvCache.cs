using SharpInfer.Numerics;

namespace SharpInfer.Inference;

/// <summary>
/// The keys and values of every layer for every position so far, laid out as llama.cpp does
/// without flash attention: K as one row per position (all KV heads side by side), V transposed
/// (one row per value channel, positions contiguous) so that the weighted sum over positions is a
/// dot product. Elements are F16 (llama.cpp's default) or F32.
/// </summary>
public sealed class KvCache
{
    private readonly float[][]? _kF32;
    private readonly ushort[][]? _kF16;
    private readonly float[][]? _vF32;
    private readonly ushort[][]? _vF16;

    public KvCache(int layers, int size, int keyWidth, int valueWidth, GgmlType typeK, GgmlType typeV)
    {
        if (typeK is not (GgmlType.F16 or GgmlType.F32))
            throw new SharpInferException($"K cache type {typeK} is not supported (use F16 or F32)");
        if (typeV is not (GgmlType.F16 or GgmlType.F32))
            throw new SharpInferException($"V cache type {typeV} is not supported (use F16 or F32)");
        Layers = layers;
        Size = size;
        KeyWidth = keyWidth;
        ValueWidth = valueWidth;
        TypeK = typeK;
        TypeV = typeV;
        var kLen = checked(size * keyWidth);
        var vLen = checked(size * valueWidth);
        if (typeK == GgmlType.F32) _kF32 = Alloc<float>(layers, kLen); else _kF16 = Alloc<ushort>(layers, kLen);
        if (typeV == GgmlType.F32) _vF32 = Alloc<float>(layers, vLen); else _vF16 = Alloc<ushort>(layers, vLen);
    }

    private static T[][] Alloc<T>(int layers, int len)
    {
        var a = new T[layers][];
        for (var i = 0; i < layers; i++) a[i] = new T[len];
        return a;
    }

    public int Layers { get; }

    /// <summary>Positions the cache holds (the context length).</summary>
    public int Size { get; }

    public int KeyWidth { get; }
    public int ValueWidth { get; }
    public GgmlType TypeK { get; }
    public GgmlType TypeV { get; }

    public long ByteSize =>
        (long)Layers * Size * (KeyWidth * (TypeK == GgmlType.F32 ? 4 : 2) + ValueWidth * (TypeV == GgmlType.F32 ? 4 : 2));

    /// <summary>K of a layer as F32 (null when the cache is F16): [Size][KeyWidth].</summary>
    internal float[]? KeysF32(int layer) => _kF32?[layer];
    internal ushort[]? KeysF16(int layer) => _kF16?[layer];

    /// <summary>V of a layer, transposed: [ValueWidth][Size].</summary>
    internal float[]? ValuesF32(int layer) => _vF32?[layer];
    internal ushort[]? ValuesF16(int layer) => _vF16?[layer];

    /// <summary>Forgets everything (values are zeroed, as a fresh llama.cpp cache buffer is).</summary>
    public void Clear()
    {
        for (var l = 0; l < Layers; l++)
        {
            if (_kF32 is not null) Array.Clear(_kF32[l]); else Array.Clear(_kF16![l]);
            if (_vF32 is not null) Array.Clear(_vF32[l]); else Array.Clear(_vF16![l]);
        }
    }
}
