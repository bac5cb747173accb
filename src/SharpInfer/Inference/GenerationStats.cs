namespace SharpInfer.Inference;

/// <summary>Why generation stopped.</summary>
public enum StopReason
{
    /// <summary>Still running, or never started.</summary>
    None,
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,
    /// <summary>The requested number of tokens was produced.</summary>
    TokenLimit,
    /// <summary>The context has no room for another token.</summary>
    ContextFull,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>Counts and timings of one generation, as llama.cpp's llama_perf_context_print reports them.</summary>
public sealed class GenerationStats
{
    public int PromptTokens { get; internal set; }
    public double PromptMilliseconds { get; internal set; }

    /// <summary>Tokens evaluated one at a time after the prompt (llama.cpp's "runs").</summary>
    public int EvalTokens { get; internal set; }
    public double EvalMilliseconds { get; internal set; }

    /// <summary>Tokens sampled (the first one comes from the prompt's logits).</summary>
    public int GeneratedTokens { get; internal set; }
    public double SampleMilliseconds { get; internal set; }

    public StopReason StopReason { get; internal set; }

    /// <summary>Lines in llama.cpp's format: prompt eval and eval, ms per token and tokens per second.</summary>
    public IEnumerable<string> FormatLines(double loadMilliseconds, double totalMilliseconds)
    {
        yield return $"llama_perf_context_print:        load time = {loadMilliseconds,10:F2} ms";
        yield return $"llama_perf_context_print: prompt eval time = {PromptMilliseconds,10:F2} ms / {PromptTokens,5} tokens ({PerToken(PromptMilliseconds, PromptTokens),8:F2} ms per token, {PerSecond(PromptMilliseconds, PromptTokens),8:F2} tokens per second)";
        yield return $"llama_perf_context_print:        eval time = {EvalMilliseconds,10:F2} ms / {EvalTokens,5} runs   ({PerToken(EvalMilliseconds, EvalTokens),8:F2} ms per token, {PerSecond(EvalMilliseconds, EvalTokens),8:F2} tokens per second)";
        yield return $"llama_perf_context_print:       total time = {totalMilliseconds,10:F2} ms / {PromptTokens + EvalTokens,5} tokens";
    }

    private static double PerToken(double ms, int n) => n == 0 ? 0 : ms / n;
    private static double PerSecond(double ms, int n) => ms <= 0 ? 0 : 1000.0 * n / ms;
}
