using System.Text.Json;
using SharpInfer.Format.Gguf;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Cli;

public class InspectCommandTests
{
    [Fact]
    public void InspectsTheBundledModelByDefault()
    {
        var r = CliRunner.Run("inspect");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("stories260K.gguf", r.Stdout);
        Assert.Contains("parameters: 292800", r.Stdout);
        Assert.Contains("blk.4.ffn_up.weight", r.Stdout);
        Assert.Contains("(512 items of String)", r.Stdout);
    }

    [Fact]
    public void JsonListsEveryTensor()
    {
        var path = TestPaths.Micro("micro-llama-Q4_K_M.gguf");
        var r = CliRunner.Run("inspect", path, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        using var f = GgufFile.Open(path);
        var tensors = doc.RootElement.GetProperty("tensors");
        Assert.Equal(f.Tensors.Count, tensors.GetArrayLength());
        Assert.Equal("Q6_K", tensors.EnumerateArray().First(t => t.GetProperty("name").GetString() == "blk.1.ffn_down.weight").GetProperty("type").GetString());
        Assert.Equal(f.ParameterCount, doc.RootElement.GetProperty("parameters").GetInt64());
    }

    [Theory]
    [InlineData("example.gguf", "bad magic")]
    [InlineData("ggml-vocab-llama.v1.gguf", "GGUF v1 is not supported")]
    [InlineData("test_writer.gguf", "unknown metadata value type 13")]
    public void BadFilesGiveOneLineAndExitOne(string name, string expected)
    {
        var r = CliRunner.Run("inspect", Path.Combine(TestPaths.Models, "bad", name));
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(name, lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void MissingFileGivesOneLine()
    {
        var r = CliRunner.Run("inspect", "/no/such/model.gguf");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/no/such/model.gguf", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void CheckTensorsNamesTheTensorAndBlock()
    {
        var source = TestPaths.Micro("micro-llama-Q4_0.gguf");
        var bytes = File.ReadAllBytes(source);
        long at;
        using (var f = GgufFile.Open(source))
        {
            var t = f.FindTensor("blk.1.attn_k.weight")!;
            at = f.DataOffset + (long)t.Offset + 3 * 18; // block 3's fp16 scale d
        }
        bytes[at] = 0x00;
        bytes[at + 1] = 0x7E; // fp16 NaN
        var path = Path.Combine(Path.GetTempPath(), $"sharpinfer-nan-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            var clean = CliRunner.Run("inspect", "--check-tensors", source);
            Assert.Equal(0, clean.ExitCode);
            var r = CliRunner.Run("inspect", "--check-tensors", path);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("tensor blk.1.attn_k.weight: NaN scale d in block 3", r.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
