using SharpInfer.Backends;
using SharpInfer.Models;
using SharpInfer.Numerics;

namespace SharpInfer.Placement;

/// <summary>One GPU's share of a row-split matrix.</summary>
public sealed record RowSlice(string Device, long FirstRow, long RowCount, long Bytes);

/// <summary>Where one tensor lives.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Type">Its ggml type in the file.</param>
/// <param name="Shape">Dimensions in ggml order.</param>
/// <param name="Role">Layer and operation.</param>
/// <param name="BufferType">Where it lives.</param>
/// <param name="Bytes">Bytes it takes in its buffer, aligned (for a row split: the sum of the slices).</param>
/// <param name="IsDuplicate">A second copy (the token embeddings used as the output projection on another device).</param>
/// <param name="Rows">For a row-split type, each GPU's rows; otherwise null.</param>
public sealed record PlanEntry(
    string Name,
    GgmlType Type,
    IReadOnlyList<long> Shape,
    TensorRole Role,
    BufferType BufferType,
    long Bytes,
    bool IsDuplicate,
    IReadOnlyList<RowSlice>? Rows)
{
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>One buffer of the plan: all tensors of one buffer type.</summary>
/// <param name="BufferType">The type.</param>
/// <param name="Bytes">Sum of its tensors' aligned sizes.</param>
/// <param name="TensorCount">How many tensors it holds.</param>
/// <param name="Mapped">Host bytes in the file's layout that a memory-mapped file can provide in place (llama.cpp's CPU_Mapped).</param>
public sealed record PlanBuffer(BufferType BufferType, long Bytes, int TensorCount, bool Mapped)
{
    public string Name => BufferType.Name;
}

/// <summary>A GPU's memory and the weight bytes the plan puts on it.</summary>
public sealed record PlanDevice(string Name, long FreeMemory, long TotalMemory, long PlannedBytes);

/// <summary>
/// The placement of every tensor. Printing it and loading from it read the same value; its
/// serialised form (<see cref="PlanSerializer"/>) is what plans are compared by.
/// </summary>
public sealed class Plan
{
    internal Plan(int nLayer, int nGpuLayers, int gpuLayerStart, int offloadedLayers, ModelParams parameters,
        IReadOnlyList<PlanEntry> entries, IReadOnlyList<PlanBuffer> buffers, IReadOnlyList<PlanDevice> devices,
        IReadOnlyList<string> messages)
    {
        NLayer = nLayer;
        NGpuLayers = nGpuLayers;
        GpuLayerStart = gpuLayerStart;
        OffloadedLayers = offloadedLayers;
        SplitMode = parameters.SplitMode;
        MainGpu = parameters.MainGpu;
        UseMmap = parameters.UseMmap;
        Entries = entries;
        Buffers = buffers;
        Devices = devices;
        Messages = messages;
    }

    public int NLayer { get; }

    /// <summary>-ngl as requested (negative means all).</summary>
    public int NGpuLayers { get; }

    /// <summary>First repeating layer on a GPU (llama.cpp's i_gpu_start).</summary>
    public int GpuLayerStart { get; }

    /// <summary>Layers (counting the output layer) that actually live on GPUs: llama.cpp's "offloaded N/M layers".</summary>
    public int OffloadedLayers { get; }

    public SplitMode SplitMode { get; }
    public int MainGpu { get; }
    public bool UseMmap { get; }

    /// <summary>Tensors in file order; a duplicated output tensor comes last.</summary>
    public IReadOnlyList<PlanEntry> Entries { get; }

    /// <summary>Buffers in order of first use.</summary>
    public IReadOnlyList<PlanBuffer> Buffers { get; }

    /// <summary>Every GPU backend, in device order.</summary>
    public IReadOnlyList<PlanDevice> Devices { get; }

    /// <summary>Lines for the user (warnings about --amx). Not part of the serialised plan.</summary>
    public IReadOnlyList<string> Messages { get; }

    public PlanEntry? Find(string name)
    {
        foreach (var e in Entries) if (!e.IsDuplicate && e.Name == name) return e;
        return null;
    }
}
