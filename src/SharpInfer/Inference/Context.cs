using SharpInfer.Numerics.Threading;
using SharpInfer.Models;
using SharpInfer.Models.Compute;

namespace SharpInfer.Inference;

/// <summary>
/// One sequence being evaluated: the KV cache, the position reached, the logits of the last
/// <see cref="Decode(ReadOnlySpan{int}, bool)"/>. Buffers are allocated up front (logits grow
/// to the largest request once), so decoding a token allocates nothing. Not thread-safe.
/// </summary>
public sealed class Context : IDisposable
{
    private readonly ForwardPass _forward;
    private readonly WorkerPool _pool;
    private readonly Backends.Gpu.Offload.GpuSession? _gpu; // offloaded layers' KV cache and scratch
    private readonly int _microBatch;
    private float[] _logits = [];
    private int _lastCount;      // tokens in the last Decode call
    private int _firstLogitRow;  // first of them whose logits were computed

    public Context(Model model, ContextParams? p = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        p ??= new ContextParams();
        Model = model;
        Params = p;
        var hp = model.Hyperparameters;
        if (p.ContextLength < 0) throw new SharpInferException($"context length {p.ContextLength} is negative");
        if (p.BatchSize <= 0 || p.MicroBatchSize <= 0)
            throw new SharpInferException($"batch sizes must be positive (batch {p.BatchSize}, micro-batch {p.MicroBatchSize})");
        ContextLength = p.ContextLength > 0
            ? p.ContextLength
            : Math.Min(hp.TrainingContextLength, ContextParams.DefaultContextCap);
        _microBatch = Math.Min(Math.Min(p.BatchSize, p.MicroBatchSize), ContextLength);
        Cache = new KvCache(hp.BlockCount, ContextLength, hp.KeyWidth, hp.ValueWidth, p.TypeK, p.TypeV);
        if (p.Threads < 0) throw new SharpInferException($"thread count {p.Threads} is negative");
        _pool = new WorkerPool(p.Threads > 0 ? p.Threads : Platform.CpuInfo.PhysicalCores);
        if (model.Gpu is { } gpu) _gpu = new Backends.Gpu.Offload.GpuSession(gpu, model, ContextLength, p.TypeK, p.TypeV, _microBatch);
        _forward = new ForwardPass(model, Cache, _microBatch, _pool, _gpu);
        _logits = new float[hp.VocabSize];
    }

    public Model Model { get; }
    public ContextParams Params { get; }

    /// <summary>Positions the context holds (the KV cache size).</summary>
    public int ContextLength { get; }

    /// <summary>Tokens evaluated so far: the position of the next token.</summary>
    public int Position { get; private set; }

    public int VocabSize => Model.Hyperparameters.VocabSize;

    public KvCache Cache { get; }

    /// <summary>Tokens in the last <see cref="Decode(ReadOnlySpan{int}, bool)"/> call.</summary>
    public int LastBatchSize => _lastCount;

    /// <summary>Evaluates <paramref name="tokens"/> at the next positions, keeping the logits of every one of them.</summary>
    public void Decode(ReadOnlySpan<int> tokens) => Decode(tokens, allLogits: true);

    /// <summary>
    /// Evaluates <paramref name="tokens"/> at the next positions, in physical batches of
    /// <see cref="ContextParams.MicroBatchSize"/> (each a matrix-matrix product per weight).
    /// With <paramref name="allLogits"/> every token's logits are kept, otherwise only the last's.
    /// Throws a <see cref="SharpInferException"/>, changing nothing, when the tokens do not fit in
    /// the context or are not in the vocabulary.
    /// </summary>
    public void Decode(ReadOnlySpan<int> tokens, bool allLogits)
    {
        var n = tokens.Length;
        if (n == 0) throw new SharpInferException("Decode needs at least one token");
        if (Position + n > ContextLength)
            throw new SharpInferException(
                $"the context is full: {Position} tokens + {n} new exceed the context length {ContextLength}");
        var vocab = VocabSize;
        foreach (var t in tokens)
            if ((uint)t >= (uint)vocab) throw new SharpInferException($"token id {t} is outside the vocabulary (0..{vocab - 1})");

        var outRows = allLogits ? n : 1;
        if (_logits.Length < (long)outRows * vocab) _logits = new float[checked(outRows * vocab)];
        _firstLogitRow = n - outRows;
        _lastCount = n;

        for (var start = 0; start < n; start += _microBatch)
        {
            var count = Math.Min(_microBatch, n - start);
            var firstOut = Math.Max(_firstLogitRow - start, 0);
            var dstRow = start + firstOut - _firstLogitRow;
            var nOut = Math.Max(count - firstOut, 0);
            _forward.Run(tokens.Slice(start, count), Position, Math.Min(firstOut, count), _logits, nOut > 0 ? dstRow * vocab : 0);
            Position += count;
        }
    }

    /// <summary>
    /// The logits (n_vocab values) after token <paramref name="i"/> of the last Decode call;
    /// negative <paramref name="i"/> counts from the end (-1 = the last token), as llama.cpp's
    /// llama_get_logits_ith. Valid until the next Decode.
    /// </summary>
    public ReadOnlySpan<float> GetLogits(int i)
    {
        if (_lastCount == 0) throw new InvalidOperationException("no tokens decoded yet");
        var j = i < 0 ? _lastCount + i : i;
        if (j < 0 || j >= _lastCount) throw new ArgumentOutOfRangeException(nameof(i), i, $"the last batch had {_lastCount} tokens");
        if (j < _firstLogitRow) throw new InvalidOperationException($"logits of token {j} were not requested (allLogits was false)");
        var vocab = VocabSize;
        return _logits.AsSpan((j - _firstLogitRow) * vocab, vocab);
    }

    /// <summary>Forgets all tokens: the next Decode starts at position 0.</summary>
    public void Reset()
    {
        Cache.Clear();
        Position = 0;
        _lastCount = 0;
    }

    /// <summary>Stops the worker threads and frees the GPU-side state.</summary>
    public void Dispose()
    {
        _pool.Dispose();
        _gpu?.Dispose();
    }
}
