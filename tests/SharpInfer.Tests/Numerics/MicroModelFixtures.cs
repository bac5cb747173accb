using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Numerics;

/// <summary>
/// The micro models: every non-F32 file was made from its family's F32 master by llama.cpp's
/// llama-quantize (commit c0c7e147) — see tests/fixtures/models/PROVENANCE.md.
/// </summary>
internal static class MicroModelFixtures
{
    public static readonly string[] LlamaTypes =
        ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "Q4_K_M"];

    public static readonly string[] QwenTypes = ["F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"];

    /// <summary>(family, file type) for every quantized micro file.</summary>
    public static IEnumerable<object[]> AllFiles()
    {
        foreach (var t in LlamaTypes) yield return ["llama", t];
        foreach (var fam in new[] { "qwen2", "qwen3" })
            foreach (var t in QwenTypes) yield return [fam, t];
    }

    public static GgufFile OpenMaster(string family) =>
        GgufFile.Open(TestPaths.Require(TestPaths.Micro($"micro-{family}-F32.gguf")));

    public static GgufFile Open(string family, string type) =>
        GgufFile.Open(TestPaths.Require(TestPaths.Micro($"micro-{family}-{type}.gguf")));

    /// <summary>The master's F32 values of the tensor with the same name.</summary>
    public static float[] MasterValues(GgufFile master, GgufTensorInfo like)
    {
        var t = master.FindTensor(like.Name) ?? throw new InvalidOperationException($"master lacks {like.Name}");
        Assert.Equal(GgmlType.F32, t.Type);
        Assert.Equal(like.Dimensions, t.Dimensions);
        var values = new float[t.ElementCount];
        SharpInfer.Numerics.Quants.Quantization.Dequantize(GgmlType.F32, master.GetTensorData(t), values);
        return values;
    }
}
