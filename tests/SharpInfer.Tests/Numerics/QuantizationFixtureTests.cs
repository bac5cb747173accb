using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Numerics;

/// <summary>
/// Proves our quantizers against llama.cpp: re-quantizing the F32 master reproduces every tensor of
/// every llama-quantize output byte for byte.
/// </summary>
public class QuantizationFixtureTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Files() => MicroModelFixtures.AllFiles();

    [Theory]
    [MemberData(nameof(Files))]
    public void QuantizingTheMasterReproducesLlamaQuantizeBytes(string family, string fileType)
    {
        using var master = MicroModelFixtures.OpenMaster(family);
        using var file = MicroModelFixtures.Open(family, fileType);
        int checkedTensors = 0;
        var failures = new List<string>();
        foreach (var t in file.Tensors)
        {
            var x = MicroModelFixtures.MasterValues(master, t);
            var expected = file.GetTensorData(t);
            Assert.True(Quantization.CanQuantize(t.Type), $"{t.Name}: {t.Type}");
            var ours = new byte[expected.Length];
            // llama-quantize quantizes whole rows; ggml's functions are row-independent, so one call covers the tensor.
            Quantization.Quantize(t.Type, x, ours);
            int badBlocks = 0, blocks = (int)(t.ElementCount / t.TypeInfo.BlockSize);
            int bb = t.TypeInfo.BytesPerBlock;
            for (int b = 0; b < blocks; b++)
                if (!expected.Slice(b * bb, bb).SequenceEqual(ours.AsSpan(b * bb, bb))) badBlocks++;
            output.WriteLine($"{t.Name} {t.Type} {t.ShapeString}: {badBlocks}/{blocks} blocks differ");
            if (badBlocks != 0) failures.Add($"{t.Name} ({t.Type}): {badBlocks}/{blocks} blocks differ");
            checkedTensors++;
        }
        Assert.True(checkedTensors > 0);
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
