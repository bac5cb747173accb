using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Tests.Numerics;

/// <summary>Sanity of every type on random data and edge cases, plus hand-worked encodings.</summary>
public class QuantizationRoundTripTests
{
    public static IEnumerable<object[]> Types() =>
        new[]
        {
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q8_0, GgmlType.Q8_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
            GgmlType.Q8_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
        }.Select(t => new object[] { t });

    /// <summary>Gaussian values (Box–Muller, fixed seed) with a few outliers, like real weight rows.</summary>
    internal static float[] RandomRow(int n, int seed, float scale = 0.02f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        for (int i = 0; i < n; i += 97) x[i] *= 6;
        return x;
    }

    private static double RelRms(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double e2 = 0, r2 = 0;
        for (int i = 0; i < x.Length; i++) { double e = (double)y[i] - x[i]; e2 += e * e; r2 += (double)x[i] * x[i]; }
        return Math.Sqrt(e2 / r2);
    }

    /// <summary>Random rows survive a quantize/dequantize round trip within the type's bound.</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void RandomRowsRoundTripWithinTheTypeBound(GgmlType type)
    {
        Assert.True(Quantization.CanQuantize(type) && Quantization.CanDequantize(type));
        var info = GgmlTypeInfo.Get(type);
        const int n = 4096;
        var x = RandomRow(n, seed: 1234 + (int)type);
        var q = new byte[info.RowBytes(n)];
        Quantization.Quantize(type, x, q);
        var y = new float[n];
        Quantization.Dequantize(type, q, y);
        double rel = RelRms(x, y);
        // The outliers make the data harder than the micro weights, hence twice the fixture bound. The
        // activation types are 8-bit: Q8_1 has Q8_0's 32-value blocks; Q8_K has one scale per 256
        // values, so an outlier (6σ) sets the step for 8× more values — allow 4× Q8_0's bound.
        double bound = type switch
        {
            GgmlType.Q8_1 => 2 * DequantizationErrorTests.Bounds[GgmlType.Q8_0],
            GgmlType.Q8_K => 4 * DequantizationErrorTests.Bounds[GgmlType.Q8_0],
            _ => 2 * DequantizationErrorTests.Bounds[type],
        };
        Assert.True(rel <= bound, $"{type}: relative RMS error {rel:E3} > {bound:E3}");
        if (type == GgmlType.F32) Assert.Equal(x, y);
    }

    /// <summary>All-zero and constant blocks must not produce NaN (ggml guards every 1/d).</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void ZeroAndConstantRowsAreHandled(GgmlType type)
    {
        var info = GgmlTypeInfo.Get(type);
        int n = 512;
        var q = new byte[info.RowBytes(n)];
        var y = new float[n];

        Quantization.Quantize(type, new float[n], q);
        Quantization.Dequantize(type, q, y);
        Assert.All(y, v => Assert.Equal(0f, v));

        var c = Enumerable.Repeat(0.5f, n).ToArray();
        Quantization.Quantize(type, c, q);
        Quantization.Dequantize(type, q, y);
        Assert.All(y, v => Assert.True(Math.Abs(v - 0.5f) <= 0.5f * 0.1f, $"{type}: constant 0.5 came back as {v}"));
    }

    [Fact]
    public void WrongSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Quantization.Quantize(GgmlType.Q4_K, new float[100], new byte[1000]));
        Assert.Throws<ArgumentException>(() => Quantization.Quantize(GgmlType.Q4_0, new float[64], new byte[35]));
        Assert.Throws<ArgumentException>(() => Quantization.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.False(Quantization.CanDequantize(GgmlType.IQ2_XXS));
        Assert.Throws<NotSupportedException>(() => Quantization.Dequantize(GgmlType.IQ2_XXS, new byte[66], new float[256]));
    }

    [Fact]
    public void Fp16RoundsToNearestEven()
    {
        Assert.Equal(0x3C00, Fp16.FromFloat(1f));
        Assert.Equal(0x7BFF, Fp16.FromFloat(65504f));
        Assert.Equal(0x7C00, Fp16.FromFloat(65520f));                 // halfway to the next binade: rounds up to inf
        Assert.Equal(0x3C00, Fp16.FromFloat(1f + 1f / 2048));         // tie → even (down)
        Assert.Equal(0x3C02, Fp16.FromFloat(1f + 3f / 2048));         // tie → even (up)
        Assert.Equal(0xC000, Fp16.FromFloat(-2f));
        Assert.Equal(MathF.Pow(2, -24), Fp16.ToFloat(0x0001));        // smallest subnormal
        Assert.Equal(0x0001, Fp16.FromFloat(MathF.Pow(2, -24)));
    }

    [Fact]
    public void Bf16MatchesGgml()
    {
        Assert.Equal(0x3F80, Bf16.FromFloat(1f));
        Assert.Equal(0x3F80, Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F808000)));  // tie → even (down)
        Assert.Equal(0x3F82, Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F818000)));  // tie → even (up)
        Assert.Equal(0x3F81, Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x3F808001)));  // above the tie
        Assert.Equal(0x7FC0, Bf16.FromFloat(BitConverter.Int32BitsToSingle(0x7F800001)));  // signalling NaN made quiet
        Assert.Equal(0x7F80, Bf16.FromFloat(float.PositiveInfinity));
        Assert.Equal(-2.5f, Bf16.ToFloat(0xC020));
    }

    /// <summary>
    /// A Q4_0 block worked by hand from ggml's rule: x_j = j − 16, so the largest magnitude is −16,
    /// d = −16 / −8 = 2 and q_j = min(15, trunc((j − 16)/2 + 8.5)).
    /// </summary>
    [Fact]
    public void Q4_0HandWorkedBlock()
    {
        var x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16;
        var q = new byte[18];
        Quantization.Quantize(GgmlType.Q4_0, x, q);
        Assert.Equal(0x00, q[0]);
        Assert.Equal(0x40, q[1]);                         // f16 2.0 = 0x4000
        // j = 0..15: (j+1)/2 → 0,1,1,2,2,...,8 ; j = 16..31: 8 + (j-15)/2 → 8,9,9,...,15,15(clamped 16)
        int[] expectLow = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8];
        int[] expectHigh = [8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15];
        for (int j = 0; j < 16; j++) Assert.Equal(expectLow[j] | (expectHigh[j] << 4), q[2 + j]);

        var y = new float[32];
        Quantization.Dequantize(GgmlType.Q4_0, q, y);
        Assert.Equal(-16f, y[0]);
        Assert.Equal(14f, y[31]);                         // 15 is the top level: (15 − 8)·2
    }

    /// <summary>Q8_0 worked by hand: d = amax/127, q = round-half-away(x/d).</summary>
    [Fact]
    public void Q8_0HandWorkedBlock()
    {
        var x = new float[32];
        x[0] = 127f; x[1] = -63.5f; x[2] = 0.5f; x[3] = -0.49f;
        var q = new byte[34];
        Quantization.Quantize(GgmlType.Q8_0, x, q);
        Assert.Equal(Fp16.FromFloat(1f), BitConverter.ToUInt16(q, 0));
        Assert.Equal(127, (sbyte)q[2]);
        Assert.Equal(-64, (sbyte)q[3]);                   // −63.5 rounds away from zero
        Assert.Equal(1, (sbyte)q[4]);
        Assert.Equal(0, (sbyte)q[5]);
    }
}
