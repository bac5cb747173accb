using SharpInfer.Models;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Models;

/// <summary>The bundled trained model against llama.cpp's logits and greedy continuation.</summary>
public sealed class Stories260KTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("stories260K.p1.kvf32")]
    [InlineData("stories260K.p1.kvf16")]
    public void PromptLogitsAndGreedyTokensMatchLlamaCpp(string reference)
    {
        var run = ReferenceRun.Load(reference);
        using var model = Model.Load(TestPaths.Require(TestPaths.Stories260K));
        using var ctx = model.CreateContext(ReferenceComparison.ParamsFor(run));

        var maxDiff = ReferenceComparison.MaxPromptLogitDiff(ctx, run);
        output.WriteLine($"{reference}: max |logit diff| {maxDiff:G3}");
        var tolerance = reference.EndsWith("kvf16") ? ReferenceTolerances.F16Cache : ReferenceTolerances.F32;
        Assert.True(maxDiff < tolerance, $"max |logit diff| {maxDiff} ≥ {tolerance}");

        var greedy = ReferenceComparison.Greedy(ctx, run, run.GreedyTokens.Length);
        Assert.Equal(run.GreedyTokens, greedy);
    }
}
