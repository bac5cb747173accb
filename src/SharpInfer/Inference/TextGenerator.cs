using System.Diagnostics;
using System.Runtime.CompilerServices;
using SharpInfer.Inference.Sampling;
using SharpInfer.Tokenizers;

namespace SharpInfer.Inference;

/// <summary>
/// Turns a prompt into a stream of text: tokenizes, evaluates the prompt in batches, then samples
/// and evaluates one token at a time, yielding complete UTF-8 text as it is produced.
/// </summary>
public sealed class TextGenerator
{
    private readonly Context _context;
    private readonly Tokenizer _tokenizer;

    public TextGenerator(Context context, SamplerParams? sampling = null)
    {
        _context = context;
        _tokenizer = context.Model.Tokenizer;
        Sampler = new Sampler(context.VocabSize, sampling, context.ContextLength);
    }

    public Sampler Sampler { get; }

    /// <summary>Counts and timings of the last (or running) generation.</summary>
    public GenerationStats Stats { get; private set; } = new();

    /// <summary>The prompt's tokens as the last generation evaluated them (BOS and special tokens included).</summary>
    public IReadOnlyList<int> PromptTokens { get; private set; } = [];

    /// <summary>Tokens sampled by the last generation.</summary>
    public List<int> GeneratedTokens { get; } = [];

    /// <summary>
    /// Generates up to <paramref name="maxTokens"/> tokens (-1: until end of generation or a full
    /// context) after <paramref name="prompt"/>. Special tokens in the prompt are parsed, BOS is
    /// added where the model wants it. Stops cleanly on cancellation; <see cref="Stats"/> says why
    /// it stopped.
    /// </summary>
    public async IAsyncEnumerable<string> Generate(string prompt, int maxTokens = -1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tokens = _tokenizer.Encode(prompt, addSpecial: true, parseSpecial: true);
        if (tokens.Length == 0) throw new SharpInferException("the prompt is empty after tokenization (and the model adds no BOS)");
        await foreach (var piece in Generate(tokens, maxTokens, cancellationToken).ConfigureAwait(false))
            yield return piece;
    }

    /// <summary>As <see cref="Generate(string, int, CancellationToken)"/>, from prompt tokens.</summary>
    public async IAsyncEnumerable<string> Generate(int[] promptTokens, int maxTokens = -1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stats = Stats = new GenerationStats();
        PromptTokens = promptTokens;
        GeneratedTokens.Clear();
        if (promptTokens.Length >= _context.ContextLength - _context.Position)
            throw new SharpInferException($"the prompt has {promptTokens.Length} tokens; the context holds {_context.ContextLength - _context.Position} more (raise -c)");

        await Task.Yield();
        var clock = Stopwatch.StartNew();
        var batch = Math.Max(1, _context.Params.BatchSize);
        for (var start = 0; start < promptTokens.Length; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batch, promptTokens.Length - start);
            _context.Decode(promptTokens.AsSpan(start, count), allLogits: false);
        }
        stats.PromptTokens = promptTokens.Length;
        stats.PromptMilliseconds = clock.Elapsed.TotalMilliseconds;
        foreach (var t in promptTokens) Sampler.Accept(t);

        var decoder = _tokenizer.CreateStreamingDecoder();
        var single = new int[1];
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) { stats.StopReason = StopReason.Cancelled; break; }
            if (maxTokens >= 0 && stats.GeneratedTokens >= maxTokens) { stats.StopReason = StopReason.TokenLimit; break; }

            var sampleStart = clock.Elapsed.TotalMilliseconds;
            var token = Sampler.Sample(_context.GetLogits(-1));
            Sampler.Accept(token);
            stats.SampleMilliseconds += clock.Elapsed.TotalMilliseconds - sampleStart;
            stats.GeneratedTokens++;
            GeneratedTokens.Add(token);

            if (_tokenizer.IsEndOfGeneration(token)) { stats.StopReason = StopReason.EndOfGeneration; break; }
            var text = decoder.Append(token);
            if (text.Length > 0) yield return text;
            if (maxTokens >= 0 && stats.GeneratedTokens >= maxTokens) { stats.StopReason = StopReason.TokenLimit; break; }
            if (_context.Position >= _context.ContextLength) { stats.StopReason = StopReason.ContextFull; break; }

            var evalStart = clock.Elapsed.TotalMilliseconds;
            single[0] = token;
            _context.Decode(single, allLogits: false);
            stats.EvalMilliseconds += clock.Elapsed.TotalMilliseconds - evalStart;
            stats.EvalTokens++;
        }
        var rest = decoder.Flush();
        if (rest.Length > 0) yield return rest;
    }
}
