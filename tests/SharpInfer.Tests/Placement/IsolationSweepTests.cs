using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Placement;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Placement;

/// <summary>
/// The isolation property over a sweep of models × -ngl × split modes × tensor splits × 0/1/2 GPUs:
/// without --amx the plan is byte for byte the plan of a CPU with no extra buffer types at all (and
/// the registered extras are never touched); with --amx and offloaded layers it is the plan without --amx.
/// </summary>
public class IsolationSweepTests
{
    private const long GiB = 1L << 30;

    private static readonly BackendDevice[][] GpuSets =
    [
        [],
        [BackendDevice.SimulatedGpu(0, 80 * GiB, 79 * GiB)],
        [BackendDevice.SimulatedGpu(0, 48 * GiB, 46 * GiB), BackendDevice.SimulatedGpu(1, 24 * GiB, 20 * GiB)],
    ];

    private static readonly IReadOnlyList<float>?[] TensorSplits = [null, [1f, 1f], [3f, 1f]];

    private static IEnumerable<(string Name, PlanInput Input)> Models()
    {
        foreach (var m in ModelShapes.All()) yield return m;
        foreach (var path in FixturePaths())
        {
            using var f = GgufFile.Open(path);
            yield return (Path.GetFileName(path), PlanInput.FromGguf(f));
        }
    }

    internal static IEnumerable<string> FixturePaths()
    {
        yield return TestPaths.Require(TestPaths.Stories260K);
        var micro = Directory.GetFiles(Path.Combine(TestPaths.Models, "micro"), "*.gguf");
        Assert.NotEmpty(micro);
        Array.Sort(micro, StringComparer.Ordinal);
        foreach (var p in micro) yield return p;
    }

    [Fact]
    public void WithoutAmx_PlanEqualsThePlanWithNoExtraTypes_AndAmxWithOffloadEqualsWithout()
    {
        int combos = 0;
        foreach (var (name, input) in Models())
        {
            int n = input.NLayer;
            foreach (int ngl in new[] { 0, 1, n / 2, n, n + 1 }.Distinct())
            foreach (var gpus in GpuSets)
            foreach (var mode in new[] { SplitMode.None, SplitMode.Layer, SplitMode.Row })
            foreach (var ts in TensorSplits)
            foreach (int main in gpus.Length == 2 ? new[] { 0, 1 } : new[] { 0 })
            {
                var p = ModelParams.Default with { NGpuLayers = ngl, SplitMode = mode, TensorSplit = ts, MainGpu = main };
                string what = $"{name} ngl={ngl} gpus={gpus.Length} sm={mode} ts={(ts is null ? "-" : string.Join(",", ts))} mg={main}";

                var absent = Planner.Create(input, p, new BackendSet(CpuBackend.CreateWithoutExtras()).WithGpus(gpus));
                var counting = CountingExtraSource.AcceptingEverything();
                var registered = new BackendSet(new CpuBackend([counting, new RepackBufferTypeSource()])).WithGpus(gpus);
                var off = Planner.Create(input, p, registered);

                string reference = PlanSerializer.ToText(absent);
                Assert.True(reference == PlanSerializer.ToText(off), what);
                Assert.True(PlanSerializer.ToJson(absent) == PlanSerializer.ToJson(off), what);
                Assert.True(counting.Untouched, what);
                Assert.True(off.Messages.Count == 0, what);

                if (ngl > 0)
                {
                    var amx = Planner.Create(input, p with { UseAmx = true }, registered);
                    Assert.True(reference == PlanSerializer.ToText(amx), what + " --amx");
                    Assert.True(counting.Untouched, what + " --amx");
                    Assert.True(amx.Messages.Count == 1, what + " --amx");
                }
                combos++;
            }
        }
        Assert.True(combos > 1000, $"only {combos} combinations");
    }

    [Fact]
    public void AmxWithoutOffload_ChangesOnlyCpuBufferChoices_AndTouchesExtrasOnce()
    {
        foreach (var (name, input) in Models())
        {
            var counting = CountingExtraSource.AcceptingEverything();
            var plan = Planner.Create(input, ModelParams.Default with { UseAmx = true }, new BackendSet(new CpuBackend([counting])));
            Assert.True(counting.Probes == 1, name);
            var baseline = Planner.Create(input, ModelParams.Default, new BackendSet(CpuBackend.CreateWithoutExtras()));
            Assert.Equal(baseline.Entries.Select(e => e.Name), plan.Entries.Select(e => e.Name));
            Assert.All(plan.Entries, e => Assert.Contains(e.BufferType.Name, new[] { "CPU", "GREEDY" }));
        }
    }
}
