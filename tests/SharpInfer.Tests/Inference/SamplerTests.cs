using SharpInfer.Inference.Sampling;

namespace SharpInfer.Tests.Inference;

public class SamplerTests
{
    [Fact]
    public void MersenneTwisterMatchesTheStandardSequence()
    {
        // C++ [rand.predef]: the 10000th output of a default-constructed mt19937 (seed 5489) is 4123659995.
        var mt = new MersenneTwister(5489);
        Assert.Equal(3499211612u, mt.NextUInt32());
        for (var i = 2; i < 10000; i++) mt.NextUInt32();
        Assert.Equal(4123659995u, mt.NextUInt32());
    }

    [Fact]
    public void TemperatureZeroIsArgMax()
    {
        var s = new Sampler(5, new SamplerParams { Temperature = 0, Seed = 1 });
        Assert.Equal(3, s.Sample([0.1f, -2f, 0.5f, 3f, 2.9f]));
    }

    [Fact]
    public void SameSeedSameDraws()
    {
        var logits = Enumerable.Range(0, 100).Select(i => MathF.Sin(i) * 3).ToArray();
        int[] Draws(uint seed)
        {
            var s = new Sampler(100, new SamplerParams { Seed = seed });
            return Enumerable.Range(0, 50).Select(_ => s.Sample(logits)).ToArray();
        }
        Assert.Equal(Draws(42), Draws(42));
        Assert.NotEqual(Draws(42), Draws(43));
    }

    [Fact]
    public void FrequenciesFollowTheSoftmax()
    {
        float[] logits = [1f, 0f, 2f, -1f];
        var s = new Sampler(4, new SamplerParams { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 7 });
        var counts = new int[4];
        const int n = 40_000;
        for (var i = 0; i < n; i++) counts[s.Sample(logits)]++;
        var z = logits.Sum(l => Math.Exp(l));
        for (var i = 0; i < 4; i++)
        {
            var expected = Math.Exp(logits[i]) / z;
            Assert.InRange(counts[i] / (double)n, expected - 0.01, expected + 0.01);
        }
    }

    [Fact]
    public void TopKAndMinPCutTheTail()
    {
        float[] logits = [5f, 4.9f, 1f, 0.5f, 4.8f];
        var topK = new Sampler(5, new SamplerParams { Temperature = 1, TopK = 2, TopP = 1, MinP = 0, Seed = 3 });
        var minP = new Sampler(5, new SamplerParams { Temperature = 1, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 3 });
        for (var i = 0; i < 2000; i++)
        {
            Assert.Contains(topK.Sample(logits), new[] { 0, 1 });
            Assert.Contains(minP.Sample(logits), new[] { 0, 1, 4 }); // p(2)/p(0) = e^-4 < 0.5
        }
    }

    [Fact]
    public void TopPKeepsTheSmallestPrefixReachingP()
    {
        // probabilities ≈ 0.66, 0.24, 0.09, 0.01: top-p 0.7 keeps the first two only.
        float[] logits = [3f, 2f, 1f, -1f];
        var s = new Sampler(4, new SamplerParams { Temperature = 1, TopK = 0, TopP = 0.7f, MinP = 0, Seed = 11 });
        var seen = new HashSet<int>();
        for (var i = 0; i < 3000; i++) seen.Add(s.Sample(logits));
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void RepeatPenaltyMovesGreedyAwayFromARepeatedToken()
    {
        float[] logits = [2.0f, 1.9f, -3f];
        var s = new Sampler(3, new SamplerParams { Temperature = 0, RepeatPenalty = 1.1f, Seed = 1 });
        Assert.Equal(0, s.Sample(logits));
        s.Accept(0);
        Assert.Equal(1, s.Sample(logits)); // 2.0 / 1.1 < 1.9
        var presence = new Sampler(3, new SamplerParams { Temperature = 0, PresencePenalty = 0.5f, Seed = 1 });
        presence.Accept(0);
        Assert.Equal(1, presence.Sample(logits));
    }
}
