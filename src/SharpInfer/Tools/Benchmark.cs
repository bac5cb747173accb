using System.Diagnostics;
using SharpInfer.Inference;
using SharpInfer.Models;

namespace SharpInfer.Tools;

/// <summary>One llama-bench test: prompt processing of N tokens (ppN) or generation of N tokens (tgN).</summary>
public sealed record BenchmarkTest(string Name, bool IsPrompt, int Tokens);

/// <summary>A test's result: tokens per second per repetition.</summary>
public sealed record BenchmarkResult(BenchmarkTest Test, int Threads, IReadOnlyList<double> TokensPerSecond)
{
    public double Mean
    {
        get
        {
            double s = 0;
            foreach (var v in TokensPerSecond) s += v;
            return TokensPerSecond.Count == 0 ? 0 : s / TokensPerSecond.Count;
        }
    }

    /// <summary>Sample standard deviation, as llama-bench prints it.</summary>
    public double StdDev
    {
        get
        {
            if (TokensPerSecond.Count < 2) return 0;
            var m = Mean;
            double s = 0;
            foreach (var v in TokensPerSecond) s += (v - m) * (v - m);
            return Math.Sqrt(s / (TokensPerSecond.Count - 1));
        }
    }
}

/// <summary>
/// llama-bench's measurements: ppN evaluates N prompt tokens in batches (fresh cache each
/// repetition); tgN evaluates N tokens one at a time (fresh cache, starting after BOS). A warm-up
/// run precedes the timed repetitions. Token ids are random but fixed by a seed.
/// </summary>
public static class Benchmark
{
    public static BenchmarkResult Run(Model model, ContextParams contextParams, BenchmarkTest test, int repetitions, int seed = 1234)
    {
        var rng = new Random(seed);
        var vocab = model.VocabSize;
        var tokens = new int[test.Tokens];
        for (var i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(vocab);
        var needed = test.Tokens + 1;
        var p = contextParams.ContextLength >= needed ? contextParams : contextParams with { ContextLength = needed };
        using var context = model.CreateContext(p);
        var results = new List<double>(repetitions);
        for (var rep = -1; rep < repetitions; rep++)
        {
            context.Reset();
            var clock = Stopwatch.StartNew();
            if (test.IsPrompt)
            {
                for (var start = 0; start < tokens.Length; start += p.BatchSize)
                    context.Decode(tokens.AsSpan(start, Math.Min(p.BatchSize, tokens.Length - start)), allLogits: false);
            }
            else
            {
                var one = new int[1];
                for (var i = 0; i < tokens.Length; i++)
                {
                    one[0] = tokens[i];
                    context.Decode(one, allLogits: false);
                }
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (rep >= 0) results.Add(test.Tokens / seconds);
        }
        return new BenchmarkResult(test, p.Threads, results);
    }
}
