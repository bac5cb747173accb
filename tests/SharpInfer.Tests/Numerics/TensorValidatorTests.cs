using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Numerics;

public class TensorValidatorTests
{
    private static List<TensorValueProblem> Scan(GgmlType type, byte[] data, long rowLength)
    {
        var t = new GgufTensorInfo("t", type, [rowLength], 0);
        var problems = new List<TensorValueProblem>();
        TensorValidator.ScanTensor(t, data, problems);
        return problems;
    }

    [Fact]
    public void FindsNaNAndInfInPlainTypes()
    {
        var f32 = new byte[16];
        BitConverter.TryWriteBytes(f32.AsSpan(8), float.PositiveInfinity);
        var p = Assert.Single(Scan(GgmlType.F32, f32, 4));
        Assert.Equal(2, p.Block);
        Assert.Contains("infinite value", p.What);

        var f16 = new byte[8];
        BitConverter.TryWriteBytes(f16.AsSpan(2), (Half)float.NaN);
        Assert.Equal(1, Assert.Single(Scan(GgmlType.F16, f16, 4)).Block);

        var bf16 = new byte[8];
        bf16[6] = 0xC0; bf16[7] = 0x7F; // BF16 NaN in element 3
        Assert.Equal(3, Assert.Single(Scan(GgmlType.BF16, bf16, 4)).Block);
    }

    [Theory]
    [InlineData(GgmlType.Q6_K, 208, "d")]
    [InlineData(GgmlType.Q2_K, 82, "dmin")]
    [InlineData(GgmlType.Q4_K, 2, "dmin")]
    [InlineData(GgmlType.Q3_K, 108, "d")]
    public void FindsBadScalesInQuantizedBlocks(GgmlType type, int offset, string field)
    {
        var info = GgmlTypeInfo.Get(type);
        var data = new byte[info.BytesPerBlock * 2];
        BitConverter.TryWriteBytes(data.AsSpan(info.BytesPerBlock + offset), (Half)float.NegativeInfinity);
        var p = Assert.Single(Scan(type, data, 512));
        Assert.Equal(1, p.Block);
        Assert.Equal($"infinite scale {field}", p.What);
    }
}
