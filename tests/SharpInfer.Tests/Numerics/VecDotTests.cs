using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Numerics;

public class VecDotTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> WeightTypes() =>
        new[]
        {
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
            GgmlType.IQ4_NL, GgmlType.IQ4_XS,
        }.Select(t => new object[] { t });

    /// <summary>
    /// How far the kernel may be from the exact dot of the dequantized operands. Integer block sums are
    /// exact; each block term is formed with ≤ 2 float roundings, and the float accumulation runs over
    /// n/32 block terms (or 8 lanes over n/256 super-blocks plus 8 lane additions), so the error is at
    /// most ~(n/32 + 8)·2⁻²⁴·Σ|wᵢaᵢ| (first-order bound; 4.3e-6 relative for n = 2048, 9.5e-7 for n = 256).
    /// Q4_1/Q5_1 also use the activation's stored s = f16(d·Σq) for the min term, which carries f16
    /// rounding: ≤ 2⁻¹¹·|m·s| per block, added.
    /// </summary>
    private static double Bound(GgmlType type, ReadOnlySpan<byte> wq, ReadOnlySpan<byte> xq, int n, double absSum)
    {
        double bound = (n / 32 + 8) * Math.Pow(2, -24) * absSum;
        if (type is GgmlType.Q4_1 or GgmlType.Q5_1)
        {
            int blockBytes = GgmlTypeInfo.Get(type).BytesPerBlock;
            for (int b = 0; b < n / 32; b++)
                bound += Math.Abs(Fp16.Read(wq, b * blockBytes + 2) * Fp16.Read(xq, b * 36 + 2)) / 2048.0;
        }
        return bound;
    }

    [Fact]
    public void ActivationTypesAreGgmlsVecDotTypes()
    {
        Assert.Equal(GgmlType.Q8_0, VecDot.ActivationType(GgmlType.Q4_0));
        Assert.Equal(GgmlType.Q8_0, VecDot.ActivationType(GgmlType.Q5_0));
        Assert.Equal(GgmlType.Q8_0, VecDot.ActivationType(GgmlType.Q8_0));
        Assert.Equal(GgmlType.Q8_0, VecDot.ActivationType(GgmlType.IQ4_NL));
        Assert.Equal(GgmlType.Q8_1, VecDot.ActivationType(GgmlType.Q4_1));
        Assert.Equal(GgmlType.Q8_1, VecDot.ActivationType(GgmlType.Q5_1));
        foreach (var t in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS })
            Assert.Equal(GgmlType.Q8_K, VecDot.ActivationType(t));
        Assert.Equal(GgmlType.F16, VecDot.ActivationType(GgmlType.F16));
        Assert.Equal(GgmlType.BF16, VecDot.ActivationType(GgmlType.BF16));
        Assert.Equal(GgmlType.F32, VecDot.ActivationType(GgmlType.F32));
        Assert.Equal(292 * 4, VecDot.ActivationRowBytes(GgmlType.Q4_K, 1024));
        Assert.Equal(36 * 32, VecDot.ActivationRowBytes(GgmlType.Q4_1, 1024));
        Assert.Throws<NotSupportedException>(() => VecDot.ActivationType(GgmlType.IQ2_XXS));
    }

    /// <summary>The kernel equals the exact dot product of the dequantized operands up to float rounding (see <see cref="Bound"/>).</summary>
    [Theory]
    [MemberData(nameof(WeightTypes))]
    public void DotMatchesTheDequantizedDotProduct(GgmlType type)
    {
        const int n = 2048;
        var w = QuantizationRoundTripTests.RandomRow(n, seed: 7 + (int)type);
        var x = QuantizationRoundTripTests.RandomRow(n, seed: 99 + (int)type, scale: 1.5f);
        var wq = new byte[GgmlTypeInfo.Get(type).RowBytes(n)];
        Quantization.Quantize(type, w, wq);
        var xq = new byte[VecDot.ActivationRowBytes(type, n)];
        VecDot.QuantizeActivations(type, x, xq);

        var wd = new float[n];
        var xd = new float[n];
        Quantization.Dequantize(type, wq, wd);
        Quantization.Dequantize(VecDot.ActivationType(type), xq, xd);
        double exact = 0, abs = 0;
        for (int i = 0; i < n; i++) { exact += (double)wd[i] * xd[i]; abs += Math.Abs((double)wd[i] * xd[i]); }

        float dot = VecDot.Dot(type, wq, xq, n);

        double bound = Bound(type, wq, xq, n, abs);
        output.WriteLine($"{type}: dot {dot}, exact {exact}, diff {Math.Abs(dot - exact):E3}, Σ|wa| {abs:E3}, bound {bound:E3}");
        Assert.True(Math.Abs(dot - exact) <= bound, $"{type}: dot {dot} vs exact {exact} (diff {Math.Abs(dot - exact):E3} > {bound:E3})");
        // and the dot is meaningful: close to the float dot of the unquantized rows
        double trueDot = 0;
        for (int i = 0; i < n; i++) trueDot += (double)w[i] * x[i];
        Assert.True(Math.Abs(dot - trueDot) <= 0.5 * abs, $"{type}: dot {dot} far from the unquantized {trueDot}");
    }

    /// <summary>Dot products over real llama-quantize tensors: each row of blk.0.ffn_up against one activation row.</summary>
    [Theory]
    [InlineData("Q4_0"), InlineData("Q4_1"), InlineData("Q5_0"), InlineData("Q5_1"), InlineData("Q8_0"), InlineData("Q2_K"), InlineData("Q3_K")]
    [InlineData("Q4_K"), InlineData("Q5_K"), InlineData("Q6_K"), InlineData("IQ4_NL"), InlineData("IQ4_XS"), InlineData("F16"), InlineData("BF16")]
    public void DotOnFixtureRowsMatchesDequantizedDot(string fileType)
    {
        using var file = MicroModelFixtures.Open("llama", fileType);
        var t = file.FindTensor("blk.0.ffn_up.weight") ?? throw new InvalidOperationException("tensor missing");
        int n = (int)t.RowLength;
        int rowBytes = (int)t.TypeInfo.RowBytes(n);
        var x = QuantizationRoundTripTests.RandomRow(n, seed: 5, scale: 1f);
        var xq = new byte[VecDot.ActivationRowBytes(t.Type, n)];
        VecDot.QuantizeActivations(t.Type, x, xq);
        var xd = new float[n];
        Quantization.Dequantize(VecDot.ActivationType(t.Type), xq, xd);
        var wd = new float[n];
        var data = file.GetTensorData(t);
        double worst = 0;
        int failures = 0;
        for (int r = 0; r < t.RowCount; r++)
        {
            var row = data.Slice(r * rowBytes, rowBytes);
            Quantization.Dequantize(t.Type, row, wd);
            double exact = 0, abs = 0;
            for (int i = 0; i < n; i++) { exact += (double)wd[i] * xd[i]; abs += Math.Abs((double)wd[i] * xd[i]); }
            double diff = Math.Abs(VecDot.Dot(t.Type, row, xq, n) - exact);
            worst = Math.Max(worst, diff / abs);
            if (diff > Bound(t.Type, row, xq, n, abs)) failures++;
        }
        output.WriteLine($"{fileType}: worst |dot − exact| / Σ|wa| = {worst:E3}");
        Assert.True(failures == 0, $"{fileType}: {failures} of {t.RowCount} rows outside the bound (worst {worst:E3} relative)");
    }

    /// <summary>
    /// ggml-cpu's x86 quantize_row_q8_0 rounds half to even with id = 127/amax; the _ref code used for
    /// model files rounds half away from zero. A block whose amax is 127 has id = 1 exactly, so ties show.
    /// </summary>
    [Fact]
    public void CpuQ8_0ActivationsRoundHalfToEvenUnlikeTheReference()
    {
        var x = new float[32];
        x[0] = 127f; x[1] = 2.5f; x[2] = -0.5f; x[3] = 3.5f; x[4] = -126.5f;
        var cpu = new byte[34];
        var reference = new byte[34];
        VecDot.QuantizeActivations(GgmlType.Q4_0, x, cpu);
        Quantization.Quantize(GgmlType.Q8_0, x, reference);
        Assert.Equal(BitConverter.ToUInt16(reference, 0), BitConverter.ToUInt16(cpu, 0));
        Assert.Equal(new sbyte[] { 127, 2, 0, 4, -126 }, cpu.Skip(2).Take(5).Select(b => (sbyte)b).ToArray());
        Assert.Equal(new sbyte[] { 127, 3, -1, 4, -127 }, reference.Skip(2).Take(5).Select(b => (sbyte)b).ToArray());

        var cpu1 = new byte[36];
        VecDot.QuantizeActivations(GgmlType.Q4_1, x, cpu1);
        Assert.Equal(new sbyte[] { 127, 2, 0, 4, -126 }, cpu1.Skip(4).Take(5).Select(b => (sbyte)b).ToArray());
        Assert.Equal(Fp16.FromFloat(1f * (127 + 2 + 0 + 4 - 126)), BitConverter.ToUInt16(cpu1, 2));
    }

    [Fact]
    public void Q8_KActivationsAreTheReferenceQuantizer()
    {
        var x = QuantizationRoundTripTests.RandomRow(512, seed: 3, scale: 1f);
        var a = new byte[VecDot.ActivationRowBytes(GgmlType.Q4_K, 512)];
        var b = new byte[a.Length];
        VecDot.QuantizeActivations(GgmlType.Q4_K, x, a);
        Quantization.Quantize(GgmlType.Q8_K, x, b);
        Assert.Equal(b, a);
        // bsums hold the sums of each 16 quants
        for (int g = 0; g < 16; g++)
        {
            int s = 0;
            for (int j = 0; j < 16; j++) s += (sbyte)a[4 + 16 * g + j];
            Assert.Equal(s, BitConverter.ToInt16(a, 260 + 2 * g));
        }
    }

    /// <summary>A Q8_0 × Q8_0 block worked by hand: Σ qx·qy = 3·2 + (−1)·5 = 1, times dx·dy.</summary>
    [Fact]
    public void Q8_0DotHandWorked()
    {
        var w = new byte[34];
        var a = new byte[34];
        BitConverter.TryWriteBytes(w.AsSpan(0, 2), Fp16.FromFloat(0.5f));
        BitConverter.TryWriteBytes(a.AsSpan(0, 2), Fp16.FromFloat(0.25f));
        w[2] = 3; a[2] = 2;
        w[3] = unchecked((byte)-1); a[3] = 5;
        Assert.Equal(0.125f, VecDot.Dot(GgmlType.Q8_0, w, a, 32));
    }
}
