using SharpInfer.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;
namespace SharpInfer.Tests.Models;
public sealed class DebugProbe(ITestOutputHelper output)
{
    [Fact]
    public void Probe()
    {
        var name = Environment.GetEnvironmentVariable("PROBE_REF") ?? "stories260K.p1.kvf16";
        var modelPath = Environment.GetEnvironmentVariable("PROBE_MODEL") ?? TestPaths.Stories260K;
        var run = ReferenceRun.Load(name);
        SharpInfer.Models.Compute.GgmlExp.UseAvx512Variant = Environment.GetEnvironmentVariable("AVX2") != "1";
        using var model = Model.Load(modelPath);
        using var ctx = model.CreateContext(ReferenceComparison.ParamsFor(run));
        ctx.Decode(run.PromptTokens);
        for (var i = 0; i < run.PromptTokens.Length; i++)
        {
            var o = ctx.GetLogits(i); var t = run.LogitsAt(i); float m = 0; int at = 0;
            for (var j = 0; j < o.Length; j++) { var d = MathF.Abs(o[j] - t[j]); if (d > m) { m = d; at = j; } }
            output.WriteLine($"pos {i}: max diff {m:G3} at {at} (ours {o[at]} ref {t[at]})");
        }
    }
}
