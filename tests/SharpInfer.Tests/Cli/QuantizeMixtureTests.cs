using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Tools;

namespace SharpInfer.Tests.Cli;

/// <summary>
/// llama.cpp's Q4_K_M / Q5_K_M choices on shapes the micro fixture lacks: 16 and 24 layers, a tied
/// output and rows that K-quants cannot hold (Qwen2-0.5B's 896).
/// </summary>
public class QuantizeMixtureTests
{
    // use_more_bits by hand: n = 16 → n/8 = 2, 7n/8 = 14, plus every i with (i - 2) % 3 == 2.
    private static readonly int[] MoreBits16 = [0, 1, 4, 7, 10, 13, 14, 15];
    // n = 24 → n/8 = 3, 7n/8 = 21, plus (i - 3) % 3 == 2.
    private static readonly int[] MoreBits24 = [0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23];

    [Fact]
    public void UseMoreBitsPicksTheFirstAndLastEighthAndEveryThirdLayerBetween()
    {
        for (var i = 0; i < 16; i++) Assert.Equal(MoreBits16.Contains(i), MixtureTypeChooser.UseMoreBits(i, 16));
        for (var i = 0; i < 24; i++) Assert.Equal(MoreBits24.Contains(i), MixtureTypeChooser.UseMoreBits(i, 24));
    }

    [Theory]
    [InlineData("Q4_K_M", GgmlType.Q4_K, 15u)]
    [InlineData("Q5_K_M", GgmlType.Q5_K, 17u)]
    public void TiedOutputGetsQ6KAndChosenLayersGetMoreBits(string scheme, GgmlType baseType, uint fileType)
    {
        var types = QuantizeSynthetic(scheme, layers: 16, width: 256, tied: true, out var ft);
        Assert.Equal(fileType, ft);
        Assert.Equal(GgmlType.Q6_K, types["token_embd.weight"]);
        Assert.Equal(GgmlType.F32, types["output_norm.weight"]);
        for (var i = 0; i < 16; i++)
        {
            var more = MoreBits16.Contains(i) ? GgmlType.Q6_K : baseType;
            Assert.Equal(more, types[$"blk.{i}.attn_v.weight"]);
            Assert.Equal(more, types[$"blk.{i}.ffn_down.weight"]);
            Assert.Equal(baseType, types[$"blk.{i}.attn_q.weight"]);
            Assert.Equal(baseType, types[$"blk.{i}.attn_k.weight"]);
            Assert.Equal(baseType, types[$"blk.{i}.attn_output.weight"]);
            Assert.Equal(baseType, types[$"blk.{i}.ffn_gate.weight"]);
            Assert.Equal(baseType, types[$"blk.{i}.ffn_up.weight"]);
            Assert.Equal(GgmlType.F32, types[$"blk.{i}.attn_norm.weight"]);
        }
    }

    [Fact]
    public void UntiedEmbeddingKeepsTheBaseTypeAndOutputGetsQ6K()
    {
        var types = QuantizeSynthetic("Q4_K_M", layers: 16, width: 256, tied: false, out _);
        Assert.Equal(GgmlType.Q4_K, types["token_embd.weight"]);
        Assert.Equal(GgmlType.Q6_K, types["output.weight"]);
    }

    [Fact]
    public void RowsThatKQuantsCannotHoldFallBackLikeLlamaCpp()
    {
        // 96 = 3 blocks of 32: Q4_K -> Q5_0, Q6_K -> Q8_0, and the tied output goes straight to Q8_0.
        var types = QuantizeSynthetic("Q4_K_M", layers: 24, width: 96, tied: true, out _);
        Assert.Equal(GgmlType.Q8_0, types["token_embd.weight"]);
        for (var i = 0; i < 24; i++)
        {
            Assert.Equal(MoreBits24.Contains(i) ? GgmlType.Q8_0 : GgmlType.Q5_0, types[$"blk.{i}.attn_v.weight"]);
            Assert.Equal(GgmlType.Q5_0, types[$"blk.{i}.attn_q.weight"]);
            // ffn_down's rows are n_ff = 256 long, so its K-quants fit.
            Assert.Equal(MoreBits24.Contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K, types[$"blk.{i}.ffn_down.weight"]);
        }
    }

    [Fact]
    public void SchemeNamesParse()
    {
        Assert.Equal(QuantizationMixture.Q4_K_M, QuantizationScheme.TryParse("q4_k_m")!.Mixture);
        Assert.Equal(QuantizationMixture.Pure, QuantizationScheme.TryParse("Q4_K")!.Mixture);
        Assert.Null(QuantizationScheme.TryParse("Q4_K_L"));
        Assert.Contains("Q5_K_M", QuantizationScheme.Names);
    }

    private static Dictionary<string, GgmlType> QuantizeSynthetic(string scheme, int layers, int width, bool tied, out uint fileType)
    {
        const int ff = 256, vocab = 64, kv = 32;
        var w = new GgufWriter();
        w.Set("general.architecture", GgufValue.Of("llama"));
        w.Set("llama.block_count", GgufValue.Of((uint)layers));
        w.Set("llama.attention.head_count", GgufValue.Of(2u));
        w.Set("llama.attention.head_count_kv", GgufValue.Of(1u));
        var rng = new Random(7);
        void Add(string name, params long[] dims)
        {
            long n = 1;
            foreach (var d in dims) n *= d;
            var bytes = new byte[n * 4];
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
            for (var i = 0; i < floats.Length; i++) floats[i] = (float)(rng.NextDouble() - 0.5);
            w.AddTensor(name, GgmlType.F32, dims, bytes);
        }
        Add("token_embd.weight", width, vocab);
        Add("output_norm.weight", width);
        if (!tied) Add("output.weight", width, vocab);
        for (var i = 0; i < layers; i++)
        {
            Add($"blk.{i}.attn_norm.weight", width);
            Add($"blk.{i}.attn_q.weight", width, width);
            Add($"blk.{i}.attn_k.weight", width, kv);
            Add($"blk.{i}.attn_v.weight", width, kv);
            Add($"blk.{i}.attn_output.weight", width, width);
            Add($"blk.{i}.ffn_norm.weight", width);
            Add($"blk.{i}.ffn_gate.weight", width, ff);
            Add($"blk.{i}.ffn_up.weight", width, ff);
            Add($"blk.{i}.ffn_down.weight", ff, width);
        }
        var input = Path.Combine(Path.GetTempPath(), $"sharpinfer-mix-{Guid.NewGuid():N}.gguf");
        var output = input + ".q";
        try
        {
            w.WriteTo(input);
            ModelQuantizer.Quantize(input, output, QuantizationScheme.TryParse(scheme)!);
            using var f = GgufFile.Open(output);
            fileType = (uint)f.GetValue("general.file_type")!.AsInt64();
            var types = new Dictionary<string, GgmlType>();
            foreach (var t in f.Tensors) types[t.Name] = t.Type;
            return types;
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }
}
