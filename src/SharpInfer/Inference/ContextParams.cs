using SharpInfer.Numerics;

namespace SharpInfer.Inference;

/// <summary>Parameters of an inference context (KV cache, batching, threads); llama.cpp's defaults.</summary>
public sealed record ContextParams
{
    /// <summary><c>-c</c>: context length in tokens; 0 means the model's training context capped at 4096.</summary>
    public int ContextLength { get; init; }

    /// <summary><c>-b</c>: logical batch size for prompt evaluation.</summary>
    public int BatchSize { get; init; } = 2048;

    /// <summary><c>-ub</c>: physical batch size.</summary>
    public int MicroBatchSize { get; init; } = 512;

    /// <summary><c>-ctk</c>: K cache type (F16 or F32).</summary>
    public GgmlType TypeK { get; init; } = GgmlType.F16;

    /// <summary><c>-ctv</c>: V cache type (F16 or F32).</summary>
    public GgmlType TypeV { get; init; } = GgmlType.F16;

    /// <summary><c>-t</c>: worker threads; 0 means the number of physical cores.</summary>
    public int Threads { get; init; }

    public const int DefaultContextCap = 4096;
}
