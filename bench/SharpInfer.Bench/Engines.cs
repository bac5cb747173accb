using LLama;
using LLama.Native;
using SharpInfer.Inference;
using SharpInfer.Models;

namespace SharpInfer.Bench;

/// <summary>One runtime under test, holding one loaded model and one context.</summary>
public interface IEngine : IDisposable
{
    string Name { get; }

    /// <summary>Empties the KV cache, as llama-bench does before each repetition.</summary>
    void Reset();

    /// <summary>Evaluates the tokens as one batch (split into n_batch chunks), logits for the last token only.</summary>
    void DecodeBatch(ReadOnlySpan<int> tokens);

    /// <summary>Evaluates one token after the ones already in the cache.</summary>
    void DecodeOne(int token);
}

/// <summary>Settings both runtimes get alike.</summary>
public sealed record EngineSettings(int Threads, int ContextLength, int BatchSize = 2048, int MicroBatchSize = 512, bool FlashAttention = false);

public sealed class SharpInferEngine : IEngine
{
    private readonly Model _model;
    private readonly Context _context;
    private readonly int _batch;
    private readonly int[] _one = new int[1];

    public SharpInferEngine(string path, EngineSettings s)
    {
        _model = Model.Load(path);
        _batch = s.BatchSize;
        _context = _model.CreateContext(new ContextParams
        {
            Threads = s.Threads,
            ContextLength = s.ContextLength,
            BatchSize = s.BatchSize,
            MicroBatchSize = s.MicroBatchSize,
        });
    }

    public string Name => "SharpInfer";

    public void Reset() => _context.Reset();

    public void DecodeBatch(ReadOnlySpan<int> tokens)
    {
        for (var start = 0; start < tokens.Length; start += _batch)
            _context.Decode(tokens.Slice(start, Math.Min(_batch, tokens.Length - start)), allLogits: false);
    }

    public void DecodeOne(int token)
    {
        _one[0] = token;
        _context.Decode(_one, allLogits: false);
    }

    public void Dispose()
    {
        _context.Dispose();
        _model.Dispose();
    }
}

/// <summary>llama.cpp through LLamaSharp's bundled native library (CPU only).</summary>
public sealed class LlamaCppEngine : IEngine
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private readonly int _batchSize;
    private int _position;

    public LlamaCppEngine(string path, EngineSettings s)
    {
        var p = new LLama.Common.ModelParams(path)
        {
            GpuLayerCount = 0,
            ContextSize = (uint)s.ContextLength,
            BatchSize = (uint)s.BatchSize,
            UBatchSize = (uint)s.MicroBatchSize,
            Threads = s.Threads,
            BatchThreads = s.Threads,
            FlashAttention = s.FlashAttention,
        };
        _batchSize = s.BatchSize;
        _weights = LLamaWeights.LoadFromFile(p);
        _context = _weights.CreateContext(p);
    }

    public string Name => "llama.cpp";

    public void Reset()
    {
        _context.NativeHandle.MemoryClear(false);
        _position = 0;
    }

    public void DecodeBatch(ReadOnlySpan<int> tokens)
    {
        for (var start = 0; start < tokens.Length; start += _batchSize)
        {
            var n = Math.Min(_batchSize, tokens.Length - start);
            _batch.Clear();
            for (var i = 0; i < n; i++)
                _batch.Add(tokens[start + i], _position + i, LLamaSeqId.Zero, i == n - 1);
            Check(_context.NativeHandle.Decode(_batch));
            _position += n;
        }
        _context.NativeHandle.Synchronize();
    }

    public void DecodeOne(int token)
    {
        _batch.Clear();
        _batch.Add(token, _position, LLamaSeqId.Zero, true);
        Check(_context.NativeHandle.Decode(_batch));
        _context.NativeHandle.Synchronize();
        _position++;
    }

    private static void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
