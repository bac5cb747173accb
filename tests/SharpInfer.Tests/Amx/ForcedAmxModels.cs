using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Tests.Models;

namespace SharpInfer.Tests.Amx;

/// <summary>A model file loaded twice, plain and with <c>--amx</c> on an AMX buffer type whose tile programs run on a given runner (the interpreter), and the greedy comparison of the two.</summary>
internal static class ForcedAmxModels
{
    public static (Model Plain, Model Amx) Load(string path, ITileProgramRunner runner)
    {
        var backends = new BackendSet(CpuBackend.CreateDefault(AmxBufferTypeSource.WithRunner(runner)));
        var plain = Model.Load(path);
        try { return (plain, Model.Load(path, new ModelParams { UseAmx = true }, backends)); }
        catch { plain.Dispose(); throw; }
    }

    /// <summary>
    /// Decodes the same 6-token prompt in both, then 8 greedy steps; asserts that every step picks the same token and
    /// returns the largest |logit difference| over the prompt positions and the steps.
    /// </summary>
    public static float GreedyMaxDiff(Model plain, Model amx)
    {
        var cp = new ContextParams { ContextLength = 64 };
        using var c0 = plain.CreateContext(cp);
        using var c1 = amx.CreateContext(cp);
        int[] prompt = [1, 17, 42, 7, 99, 3];
        c0.Decode(prompt);
        c1.Decode(prompt);
        float maxDiff = 0;
        for (var i = 0; i < prompt.Length; i++) maxDiff = Math.Max(maxDiff, MaxDiff(c0.GetLogits(i), c1.GetLogits(i)));
        var one = new int[1];
        for (var s = 0; s < 8; s++)
        {
            var next = ReferenceComparison.ArgMax(c0.GetLogits(-1));
            Assert.Equal(next, ReferenceComparison.ArgMax(c1.GetLogits(-1)));
            maxDiff = Math.Max(maxDiff, MaxDiff(c0.GetLogits(-1), c1.GetLogits(-1)));
            one[0] = next;
            c0.Decode(one);
            c1.Decode(one);
        }
        return maxDiff;
    }

    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float m = 0;
        for (var i = 0; i < a.Length; i++) m = Math.Max(m, MathF.Abs(a[i] - b[i]));
        return m;
    }
}
