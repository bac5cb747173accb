using System.Text.Json;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Cli;

/// <summary>run, tokenize and logits through the real command line, checked against llama.cpp's outputs.</summary>
public class GenerationCommandTests
{
    private const string P1 = "Once upon a time, there was a little girl named Lily. She loved to play";

    private static JsonElement Reference(string name) =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Require(Path.Combine(TestPaths.Reference, name)))).RootElement;

    [Fact]
    public void LogitsCommandReproducesLlamaCppsReferenceFile()
    {
        var output = Path.Combine(Path.GetTempPath(), $"sharpinfer-logits-{Guid.NewGuid():N}.f32");
        try
        {
            var r = CliRunner.Run("logits", "-p", P1, "-ctk", "f32", "-ctv", "f32", "--out", output, "--greedy", "64");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var reference = Reference("stories260K.p1.kvf32.json");
            var mine = JsonDocument.Parse(File.ReadAllText(output + ".json")).RootElement;
            Assert.Equal(Ints(reference, "prompt_tokens"), Ints(mine, "prompt_tokens"));
            Assert.Equal(Ints(reference, "greedy_tokens"), Ints(mine, "greedy_tokens"));
            Assert.Equal(reference.GetProperty("greedy_text").GetString(), mine.GetProperty("greedy_text").GetString());
            var expected = Floats(Path.Combine(TestPaths.Reference, "stories260K.p1.kvf32.logits.f32"));
            var actual = Floats(output);
            Assert.Equal(expected.Length, actual.Length);
            var maxDiff = 0f;
            for (var i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            Assert.True(maxDiff < 1e-3f, $"max |logit diff| {maxDiff}");
        }
        finally
        {
            File.Delete(output);
            File.Delete(output + ".json");
        }
    }

    [Fact]
    public void GreedyRunTellsTheReferenceStory()
    {
        var reference = Reference("stories260K.p1.kvf16.json");
        var r = CliRunner.Run("run", "-p", P1, "--temp", "0", "-n", "64");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(P1 + reference.GetProperty("greedy_text").GetString() + "\n", r.Stdout);
        Assert.Contains("prompt eval time", r.Stderr);
        Assert.Contains("tokens per second", r.Stderr);
    }

    [Fact]
    public void SameSeedSameStoryForAnyThreadCount()
    {
        var a = CliRunner.Run("run", "-p", "Once upon a time", "-n", "40", "-s", "1234", "-t", "1");
        var b = CliRunner.Run("run", "-p", "Once upon a time", "-n", "40", "-s", "1234", "-t", "2");
        var c = CliRunner.Run("run", "-p", "Once upon a time", "-n", "40", "-s", "99", "-t", "2");
        Assert.Equal(0, a.ExitCode);
        Assert.Contains("sampler seed: 1234", a.Stderr);
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.NotEqual(a.Stdout, c.Stdout);
        Assert.True(a.Stdout.Length > "Once upon a time".Length + 20, a.Stdout);
    }

    [Fact]
    public void FullContextStopsWithAMessage()
    {
        var r = CliRunner.Run("run", "-p", "Once upon a time", "-c", "16", "-n", "-1", "--temp", "0", "--ignore-eos");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("context full (16 tokens)", r.Stderr);
    }

    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-qwen2.gguf")]
    public void TokenizeMatchesLlamaCppsVectors(string vocab)
    {
        var path = Path.Combine(TestPaths.Models, "vocab", vocab);
        var inputs = File.ReadAllText(path + ".inp").Split("\n__ggml_vocab_test__\n");
        var outputs = File.ReadAllLines(path + ".out");
        // A handful of vectors through the process boundary; the tokenizer tests cover all of them.
        foreach (var i in new[] { 3, 10, outputs.Length - 1 })
        {
            var r = CliRunner.Run("tokenize", "-m", path, "-p", inputs[i], "--ids", "--no-bos");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var expected = "[" + string.Join(", ", outputs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)) + "]";
            Assert.Equal(expected, r.Stdout.TrimEnd('\n'));
        }
    }

    [Fact]
    public void TokenizeAddsBosAndParsesSpecialOnRequest()
    {
        var plain = CliRunner.Run("tokenize", "-p", "<s>Hi", "--ids");
        var special = CliRunner.Run("tokenize", "-p", "<s>Hi", "--ids", "--parse-special");
        Assert.StartsWith("[1, ", plain.Stdout);
        Assert.StartsWith("[1, 1, ", special.Stdout);
        var listing = CliRunner.Run("tokenize", "-p", "Hi");
        Assert.Contains("1 -> '<s>'", listing.Stdout);
    }

    [Theory]
    [InlineData("run", "--temp", "abc")]
    [InlineData("run", "-n", "-5")]
    [InlineData("run", "-ctk", "q4_0")]
    [InlineData("run", "--top-p", "1.5")]
    [InlineData("run", "-m", "/no/such.gguf")]
    [InlineData("run", "--no-such-flag")]
    [InlineData("tokenize")]
    [InlineData("logits", "-p", "x")]
    public void BadFlagsGiveAOneLineErrorAndExitOne(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static float[] Floats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        return result;
    }
}

public class InterruptTests
{
    /// <summary>Ctrl-C (SIGINT) stops generation cleanly: the timings are still printed, exit code 130.</summary>
    [Fact]
    public async Task SigIntStopsCleanlyAndPrintsTimings()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test sends SIGINT with kill(1), which needs Linux");
        var psi = CliRunner.StartInfo("run", "-p", "Once upon a time", "-n", "-1", "--ignore-eos", "-c", "100000");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var errLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var seedSeen = new TaskCompletionSource();
        var stderr = Task.Run(async () =>
        {
            while (await p.StandardError.ReadLineAsync() is { } line)
            {
                errLines.Enqueue(line);
                if (line.StartsWith("sampler seed", StringComparison.Ordinal)) seedSeen.TrySetResult();
            }
            seedSeen.TrySetResult();
            return string.Join("\n", errLines);
        });
        // Generation starts right after the seed line; let it stream for a moment, then interrupt.
        await seedSeen.Task.WaitAsync(TimeSpan.FromSeconds(90));
        await Task.Delay(1000);
        Assert.False(p.HasExited, "generation ended before it could be interrupted");
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", p.Id.ToString()])) kill!.WaitForExit();
        Assert.True(p.WaitForExit(30_000), "the process did not stop after SIGINT");
        Assert.Equal(130, p.ExitCode);
        var err = await stderr;
        Assert.Contains("interrupted", err);
        Assert.Contains("eval time", err);
        Assert.StartsWith("Once upon a time", await stdout);
    }
}
