using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q8_0 × Q8_0 through the emitted tile program (interpreted) against ggml's block arithmetic:
/// per block the integer dot product times d_w times d_a (ggml_vec_dot_q8_0_q8_0).
/// </summary>
public sealed unsafe class Q8_0TileMatmulTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 16, 32 },
        { 7, 32, 64 },
        { 16, 48, 96 },
        { 33, 32, 128 },
        { 40, 64, 32 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsPerBlockScaledIntegerSums(int m, int n, int k)
    {
        var rng = new Random(m * 7919 + n * 31 + k);
        byte[] w = RandomQ8_0Rows(rng, n, k);
        byte[] act = RandomQ8_0Rows(rng, m, k);
        var c = new float[m * n];
        Array.Fill(c, float.NaN);
        var packed = Q8_0AmxLayout.Pack(w, n, k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var scratch = Q8_0TileMatmul.ThreadScratch(k / 32);
        fixed (byte* pa = act) fixed (byte* pw = packed) fixed (int* ps = scratch)
        {
            // The programs may read only the activations and packed weights and write only the scratch.
            runner.Allow(pa, act.Length);
            runner.Allow(pw, packed.Length);
            runner.Allow(ps, scratch.Length * sizeof(int));
            new Q8_0TileMatmul(runner).Multiply(act, m, k, packed, n, c);
        }

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                // ggml's AMX order: C = fma(isum, d_w·d_a, C) per block: must agree to the bit.
                float fused = 0f;
                // ggml's generic scalar vec_dot: sumf += sumi·(d_w·d_a) — may differ by rounding only.
                float plain = 0f;
                double magnitude = 0;
                for (int b = 0; b < k / 32; b++)
                {
                    int isum = 0;
                    for (int t = 0; t < 32; t++) isum += (sbyte)w[Offset(j, b, k) + 2 + t] * (sbyte)act[Offset(i, b, k) + 2 + t];
                    float d = Scale(w, Offset(j, b, k)) * Scale(act, Offset(i, b, k));
                    fused = MathF.FusedMultiplyAdd(isum, d, fused);
                    plain += isum * d;
                    magnitude += Math.Abs((double)isum * d);
                }
                float got = c[i * n + j];
                Assert.Equal(BitConverter.SingleToInt32Bits(fused), BitConverter.SingleToInt32Bits(got));
                Assert.True(Math.Abs(got - plain) <= 1e-6 * magnitude + 1e-30, $"({i},{j}): {got} vs {plain}");
            }
    }

    [Fact]
    public void AgreesWithTheProjectsScalarVecDotOnQuantizedFloats()
    {
        // Real data path: weights quantized with quantize_row_q8_0_ref, activations with ggml-cpu's
        // from_float; the reference is SharpInfer's scalar Q8_0·Q8_0 dot (ggml's generic vec_dot).
        int m = 9, n = 48, k = 256;
        var rng = new Random(21);
        var wf = new float[n * k];
        var af = new float[m * k];
        for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < af.Length; i++) af[i] = (float)(rng.NextDouble() * 6 - 3);
        int rowBytes = k / 32 * 34;
        var w = new byte[n * rowBytes];
        var act = new byte[m * rowBytes];
        Quantization.Quantize(GgmlType.Q8_0, wf, w);
        for (int i = 0; i < m; i++) VecDot.QuantizeActivations(GgmlType.Q8_0, af.AsSpan(i * k, k), act.AsSpan(i * rowBytes, rowBytes));

        var c = new float[m * n];
        new Q8_0TileMatmul(new InterpretedTileRunner(X64Abi.Native)).Multiply(act, m, k, Q8_0AmxLayout.Pack(w, n, k), n, c);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float expected = VecDot.Dot(GgmlType.Q8_0, w.AsSpan(j * rowBytes, rowBytes), act.AsSpan(i * rowBytes, rowBytes), k);
                Assert.True(Math.Abs(c[i * n + j] - expected) <= 1e-5f * (1 + Math.Abs(expected)), $"({i},{j}): {c[i * n + j]} vs {expected}");
            }
    }

    [Fact]
    public void ColumnRangesComposeToTheWholeProduct()
    {
        int m = 20, n = 80, k = 64;
        var rng = new Random(4);
        byte[] w = RandomQ8_0Rows(rng, n, k), act = RandomQ8_0Rows(rng, m, k);
        byte[] packed = Q8_0AmxLayout.Pack(w, n, k);
        var mm = new Q8_0TileMatmul(new InterpretedTileRunner(X64Abi.Native));
        var whole = new float[m * n];
        mm.Multiply(act, m, k, packed, n, whole);
        var pieces = new float[m * n];
        Parallel.ForEach(new[] { (0, 16), (16, 48), (64, 16) }, r => mm.Multiply(act, m, k, packed, n, pieces, r.Item1, r.Item2));
        Assert.Equal(whole, pieces);
        Assert.Throws<ArgumentException>(() => mm.Multiply(act, m, k, packed, n, pieces, 8, 16));
    }

    [Fact]
    public void RepackMatchesGgmlPackB()
    {
        // pack_B for block_q8_0: quants {k/4, n, 4}, then 16 fp16 d, then Σ 128·q per row.
        int n = 32, k = 64;
        var rng = new Random(11);
        byte[] w = RandomQ8_0Rows(rng, n, k);
        byte[] packed = Q8_0AmxLayout.Pack(w, n, k);
        Assert.Equal(2 * 2 * 608, packed.Length);
        for (int p = 0; p < 2; p++)
            for (int b = 0; b < 2; b++)
            {
                int tile = (p * 2 + b) * 608;
                for (int nn = 0; nn < 16; nn++)
                {
                    int src = Offset(p * 16 + nn, b, k);
                    int comp = 0;
                    for (int kk = 0; kk < 32; kk++)
                    {
                        Assert.Equal(w[src + 2 + kk], packed[tile + (kk / 4) * 64 + nn * 4 + kk % 4]);
                        comp += 128 * (sbyte)w[src + 2 + kk];
                    }
                    Assert.Equal(w[src], packed[tile + 512 + 2 * nn]);
                    Assert.Equal(w[src + 1], packed[tile + 513 + 2 * nn]);
                    Assert.Equal(comp, BitConverter.ToInt32(packed, tile + 544 + 4 * nn));
                }
            }
    }

    [Fact]
    public void RefusesShapesGgmlsAmxBufferRefuses()
    {
        Assert.False(Q8_0AmxLayout.CanPack(24, 64));
        Assert.False(Q8_0AmxLayout.CanPack(32, 48));
        Assert.Throws<ArgumentException>(() => Q8_0AmxLayout.Pack(new byte[24 * 2 * 34], 24, 64));
    }

    private static int Offset(int row, int block, int k) => row * (k / 32) * 34 + block * 34;

    private static float Scale(byte[] rows, int at) => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(rows, at));

    internal static byte[] RandomQ8_0Rows(Random rng, int rows, int k)
    {
        var data = new byte[rows * (k / 32) * 34];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < k / 32; b++)
            {
                int at = Offset(r, b, k);
                ushort d = BitConverter.HalfToUInt16Bits((Half)(rng.NextDouble() * 0.05 + 1e-4));
                data[at] = (byte)d; data[at + 1] = (byte)(d >> 8);
                for (int t = 0; t < 32; t++) data[at + 2 + t] = (byte)(sbyte)rng.Next(-127, 128);
            }
        return data;
    }
}
