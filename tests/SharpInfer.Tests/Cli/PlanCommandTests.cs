using System.Text.Json;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Cli;

public class PlanCommandTests
{
    private static readonly string Q4 = TestPaths.Micro("micro-llama-Q4_0.gguf");

    [Fact]
    public void PlanPrintsLlamaCppBufferLinesAndATable()
    {
        var r = CliRunner.Run("plan", "-m", Q4);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("load_tensors:   CPU_Mapped model buffer size =     0.78 MiB", r.Stdout);
        Assert.Contains("blk.1.ffn_up.weight", r.Stdout);
        Assert.DoesNotContain("REPACK", r.Stdout);
    }

    [Fact]
    public void DiffShowsWhatAmxMovesOnTheCpu()
    {
        var r = CliRunner.Run("plan", "-m", Q4, "--diff", "--amx");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("blk.0.ffn_down.weight", r.Stdout);
        Assert.Contains("-> CPU_REPACK", r.Stdout);
        Assert.Contains("14 of 21 tensors move", r.Stdout); // 7 matrices × 2 layers; embeddings, output, norms stay
        Assert.DoesNotContain("token_embd.weight", r.Stdout.Split("Buffers")[0]);
    }

    [Fact]
    public void AmxWithGpuLayersIsRefusedAndChangesNothing()
    {
        var r = CliRunner.Run("plan", "-m", Q4, "-ngl", "1", "--simulate-gpus", "24GiB", "--diff", "--amx");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("identical (byte for byte", r.Stdout);
        Assert.Contains("--amx is ignored while layers are offloaded", r.Stderr);
    }

    [Fact]
    public void JsonPlanWithSimulatedGpus()
    {
        var r = CliRunner.Run("plan", "-m", Q4, "-ngl", "99", "--simulate-gpus", "8GiB,8GiB", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Contains("CUDA1", r.Stdout);
        Assert.Contains("CUDA0", r.Stdout);
    }
}
