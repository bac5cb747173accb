namespace SharpInfer.Models;

/// <summary>How layers are split over several GPUs (llama.cpp's <c>-sm</c>).</summary>
public enum SplitMode
{
    /// <summary>Use only the main GPU (<c>-mg</c>).</summary>
    None,
    /// <summary>Whole layers per GPU, in proportion to <see cref="ModelParams.TensorSplit"/>.</summary>
    Layer,
    /// <summary>Each matrix split by rows across GPUs.</summary>
    Row,
}

/// <summary>
/// Parameters of loading a model: where weights live and how the file is read. The defaults are
/// llama.cpp's. <see cref="UseAmx"/> is opt-in: when false, nothing about placement differs from a
/// runtime that has no extra buffer types at all.
/// </summary>
public sealed record ModelParams
{
    /// <summary>Number of layers (counted from the last) to offload to GPUs (<c>-ngl</c>).</summary>
    public int NGpuLayers { get; init; }

    /// <summary><c>-sm</c>; llama.cpp's default is layer.</summary>
    public SplitMode SplitMode { get; init; } = SplitMode.Layer;

    /// <summary><c>-mg</c>: the GPU used with <see cref="SplitMode.None"/> and for row-split results.</summary>
    public int MainGpu { get; init; }

    /// <summary><c>-ts</c>: proportions per GPU; null means by free memory.</summary>
    public IReadOnlyList<float>? TensorSplit { get; init; }

    /// <summary>Map the file (default) instead of reading it (<c>--no-mmap</c>).</summary>
    public bool UseMmap { get; init; } = true;

    /// <summary><c>--mlock</c>.</summary>
    public bool UseMlock { get; init; }

    /// <summary><c>--check-tensors</c>: scan weights for NaN/Inf at load (llama.cpp's validate_quants).</summary>
    public bool CheckTensors { get; init; }

    /// <summary><c>--amx</c>: let CPU-layer weights use the CPU's extra (repacked) buffer types.</summary>
    public bool UseAmx { get; init; }

    /// <summary>
    /// Called during loading with the fraction done (0..1), as llama.cpp's progress_callback: the
    /// file read (with <see cref="UseMmap"/> off) and the placing of weights into their buffers.
    /// </summary>
    public Action<float>? Progress { get; init; }

    public static ModelParams Default { get; } = new();
}
