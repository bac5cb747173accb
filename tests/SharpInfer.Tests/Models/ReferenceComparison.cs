using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Models;

/// <summary>Runs a model the way the reference was made and measures how far our logits are.</summary>
public static class ReferenceComparison
{

    /// <summary>Max |ours − llama.cpp| over every prompt position and vocabulary entry (the prompt in one batch).</summary>
    public static float MaxPromptLogitDiff(Context ctx, ReferenceRun run)
    {
        ctx.Reset();
        ctx.Decode(run.PromptTokens);
        var max = 0f;
        for (var i = 0; i < run.PromptTokens.Length; i++)
        {
            var ours = ctx.GetLogits(i);
            var theirs = run.LogitsAt(i);
            Assert.Equal(theirs.Length, ours.Length);
            for (var j = 0; j < ours.Length; j++)
            {
                var d = MathF.Abs(ours[j] - theirs[j]);
                Assert.False(float.IsNaN(d), $"NaN logit at position {i}, token {j}");
                if (d > max) max = d;
            }
        }
        return max;
    }

    /// <summary>Greedy continuation after the prompt, one token per Decode call (as llama.cpp's generation does).</summary>
    public static int[] Greedy(Context ctx, ReferenceRun run, int count)
    {
        ctx.Reset();
        ctx.Decode(run.PromptTokens, allLogits: false);
        var result = new int[count];
        if (count == 0) return result;
        Span<int> one = stackalloc int[1];
        for (var s = 0; s < count; s++)
        {
            var next = ArgMax(ctx.GetLogits(-1));
            result[s] = next;
            if (s + 1 == count) break;
            one[0] = next;
            ctx.Decode(one, allLogits: false);
        }
        return result;
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    public static GgmlType CacheType(ReferenceRun run) => run.KvCacheType switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        _ => throw new InvalidDataException($"unknown kv_cache_type {run.KvCacheType}"),
    };

    /// <summary>The context llama.cpp used for the references: 512 positions, the whole prompt in one batch.</summary>
    public static ContextParams ParamsFor(ReferenceRun run) => new()
    {
        ContextLength = 512,
        Threads = 1,
        TypeK = CacheType(run),
        TypeV = CacheType(run),
    };
}
