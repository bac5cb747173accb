using SharpInfer.Numerics;
using SharpInfer.Tests.Support;
using SharpInfer.Tools;

namespace SharpInfer.Tests.Cli;

public class QuantizeTests
{
    public static TheoryData<string, string> PureFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var t in new[] { "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS" })
            data.Add("micro-llama", t);
        data.Add("micro-llama", "Q4_K_M");
        foreach (var arch in new[] { "micro-qwen2", "micro-qwen3" })
            foreach (var t in new[] { "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K" })
                data.Add(arch, t);
        return data;
    }

    /// <summary>llama-quantize made these files from the F32 masters (--pure, except the Q4_K_M mixture); ours must write the same bytes.</summary>
    [Theory]
    [MemberData(nameof(PureFiles))]
    public void QuantizingTheMasterReproducesLlamaCppsFile(string model, string type)
    {
        var master = TestPaths.Require(TestPaths.Micro($"{model}-F32.gguf"));
        var expected = File.ReadAllBytes(TestPaths.Require(TestPaths.Micro($"{model}-{type}.gguf")));
        var output = Path.Combine(Path.GetTempPath(), $"sharpinfer-q-{Guid.NewGuid():N}.gguf");
        try
        {
            ModelQuantizer.Quantize(master, output, QuantizationScheme.TryParse(type)!);
            var actual = File.ReadAllBytes(output);
            Assert.Equal(expected.Length, actual.Length);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{model}-{type}: bytes differ from llama.cpp's file");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void CommandLineReportsSizesAndRefusesUnknownTypes()
    {
        var output = Path.Combine(Path.GetTempPath(), $"sharpinfer-q-{Guid.NewGuid():N}.gguf");
        try
        {
            var ok = CliRunner.Run("quantize", TestPaths.Micro("micro-llama-F32.gguf"), output, "Q8_0");
            Assert.Equal(0, ok.ExitCode);
            Assert.Contains("token_embd.weight", ok.Stderr);
            Assert.Contains("model size 5.50 MiB -> 1.47 MiB", ok.Stderr);
            var odd = CliRunner.Run("quantize", TestPaths.Stories260K, output + ".3", "Q4_0");
            Assert.Equal(1, odd.ExitCode);
            Assert.Contains("blk.0.ffn_down.weight has rows of 172 elements", odd.Stderr);
            var bad = CliRunner.Run("quantize", TestPaths.Stories260K, output, "Q9_9");
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("unknown type 'Q9_9'", bad.Stderr);
            var mixture = CliRunner.Run("quantize", TestPaths.Micro("micro-llama-F32.gguf"), output + ".4", "q4_k_m");
            Assert.Equal(0, mixture.ExitCode);
            Assert.Contains("as Q4_K_M", mixture.Stderr);
            Assert.True(File.ReadAllBytes(TestPaths.Micro("micro-llama-Q4_K_M.gguf")).AsSpan().SequenceEqual(File.ReadAllBytes(output + ".4")));
            var requant = CliRunner.Run("quantize", output, output + ".2", "Q4_0");
            Assert.Equal(1, requant.ExitCode);
            Assert.Contains("--allow-requantize", requant.Stderr);
        }
        finally
        {
            File.Delete(output);
            File.Delete(output + ".2");
            File.Delete(output + ".3");
            File.Delete(output + ".4");
        }
    }
}
