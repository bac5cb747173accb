using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q4_1 weights in ggml's AMX layout × Q8_1 activations: the packed bytes (pack_B for block_q4_1:
/// Q4_0's quant placement, d at 256, m at 288, 320-byte tiles) and the tile program (interpreted) and
/// gemv against ggml's acc_C order per block: C = fma(isum, d_w·d_a, C), then C = fma(m_w, s_a, C),
/// with isum = Σ nibble·a over the unsigned nibbles.
/// </summary>
public sealed unsafe class Q4_1TileMatmulTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 2, 16, 32 },
        { 7, 32, 64 },
        { 33, 48, 128 },
        { 40, 64, 32 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsGgmlsPerBlockOrder(int m, int n, int k)
    {
        var rng = new Random(m * 7907 + n * 37 + k);
        byte[] w = RandomQ4_1Rows(rng, n, k), act = RandomQ8_1Rows(rng, m, k);
        var c = new float[m * n];
        Array.Fill(c, float.NaN);
        var packed = Q4_1AmxLayout.Pack(w, n, k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var sums = Q8_0TileMatmul.ThreadScratch(k / 32);
        var unpacked = Q4TileMatmul.ThreadUnpackScratch(k / 32);
        fixed (byte* pa = act) fixed (int* ps = sums) fixed (byte* pu = unpacked)
        {
            runner.Allow(pa, act.Length);
            runner.Allow(pu, unpacked.Length);
            runner.Allow(ps, sums.Length * sizeof(int));
            new Q4TileMatmul(runner, GgmlType.Q4_1).Multiply(act, m, k, packed, n, c);
        }
        Assert.True(runner.Calls > 0);
        Assert.False(runner.AnyThreadConfigured);

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                var (fused, plain, magnitude) = Reference(w, j, act, i, k);
                float got = c[i * n + j];
                Assert.Equal(BitConverter.SingleToInt32Bits(fused), BitConverter.SingleToInt32Bits(got));
                Assert.True(Math.Abs(got - plain) <= 2e-6 * magnitude + 1e-30, $"({i},{j}): {got} vs {plain}");
            }
    }

    [Fact]
    public void AgreesWithTheProjectsVecDotOnQuantizedFloats()
    {
        int m = 5, n = 32, k = 256;
        var (w, act) = Q4AmxPaths.QuantizedRows(GgmlType.Q4_1, new Random(23), m, n, k, -0.7);
        int wRowBytes = k / 32 * 20, aRowBytes = k / 32 * 36;
        var (c, one) = Q4AmxPaths.BothPaths(GgmlType.Q4_1, Q4_1AmxLayout.Pack(w, n, k), act, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float expected = VecDot.Dot(GgmlType.Q4_1, w.AsSpan(j * wRowBytes, wRowBytes), act.AsSpan(i * aRowBytes, aRowBytes), k);
                var (fused, _, magnitude) = Reference(w, j, act, i, k);
                Assert.Equal(fused, c[i * n + j]);
                Assert.True(Math.Abs(c[i * n + j] - expected) <= 2e-6 * magnitude + 1e-30, $"({i},{j}): {c[i * n + j]} vs {expected}");
                Assert.Equal(c[i * n + j], one[i * n + j]);
            }
    }

    [Theory]
    [InlineData(16, 32)]
    [InlineData(48, 96)]
    public void GemvEqualsTheTilePathToTheBit(int n, int k)
    {
        var rng = new Random(n * 3 + k);
        var packed = Q4_1AmxLayout.Pack(RandomQ4_1Rows(rng, n, k), n, k);
        Q4AmxPaths.AssertGemvEqualsTiles(GgmlType.Q4_1, packed, RandomQ8_1Rows(rng, 1, k), n, k);
    }

    /// <summary>
    /// pack_B for block_q4_1 runs the same pack_qs as block_q4_0 (pinned against ggml's steps in
    /// <see cref="Q4_0TileMatmulTests.RepackMatchesGgmlPackB"/>), then d0[n] at 256 and m0 = d0 + TILE_N
    /// at 288; the tile is 16·sizeof(block_q4_1) = 320 bytes. unpack_B&lt;block_q4_1&gt; keeps the nibbles unsigned.
    /// </summary>
    [Fact]
    public void RepackIsQ4_0sQuantPlacementWithDAndM()
    {
        int n = 32, k = 64;
        var rng = new Random(14);
        byte[] w = RandomQ4_1Rows(rng, n, k);
        var asQ4_0 = new byte[n * (k / 32) * 18];
        for (int blk = 0; blk < n * (k / 32); blk++)
        {
            asQ4_0[blk * 18] = w[blk * 20];
            asQ4_0[blk * 18 + 1] = w[blk * 20 + 1];
            Array.Copy(w, blk * 20 + 4, asQ4_0, blk * 18 + 2, 16);
        }
        byte[] packed = Q4_1AmxLayout.Pack(w, n, k), q4_0 = Q4_0AmxLayout.Pack(asQ4_0, n, k);
        Assert.Equal(packed.Length, (long)n * (k / 32) * 20); // ggml's get_row_size: no extra bytes
        var vnni = new sbyte[512];
        var vnni0 = new sbyte[512];
        for (int p = 0; p < 2; p++)
            for (int b = 0; b < 2; b++)
            {
                int tile = (p * 2 + b) * 320;
                Assert.Equal(q4_0.AsSpan((p * 2 + b) * 288, 288).ToArray(), packed.AsSpan(tile, 288).ToArray());
                for (int nn = 0; nn < 16; nn++)
                {
                    int src = ((p * 16 + nn) * (k / 32) + b) * 20;
                    Assert.Equal(w[src + 2], packed[tile + 288 + 2 * nn]);
                    Assert.Equal(w[src + 3], packed[tile + 289 + 2 * nn]);
                }
                fixed (byte* t = packed) fixed (sbyte* v = vnni) Q4_1AmxLayout.Unpack(t + tile, v);
                fixed (byte* t = q4_0) fixed (sbyte* v = vnni0) Q4_0AmxLayout.Unpack(t + (p * 2 + b) * 288, v);
                for (int i = 0; i < 512; i++) Assert.Equal(vnni0[i] + 8, vnni[i]);
            }
    }

    /// <summary>ggml's acc_C / generic vec_dot for one output: (AMX order, generic order, Σ |terms|).</summary>
    private static (float Fused, float Plain, double Magnitude) Reference(byte[] w, int row, byte[] act, int arow, int k)
    {
        float fused = 0f, plain = 0f;
        double magnitude = 0;
        for (int b = 0; b < k / 32; b++)
        {
            int wo = (row * (k / 32) + b) * 20, ao = (arow * (k / 32) + b) * 36;
            int isum = 0;
            for (int t = 0; t < 16; t++)
            {
                isum += (w[wo + 4 + t] & 0xF) * (sbyte)act[ao + 4 + t];
                isum += (w[wo + 4 + t] >> 4) * (sbyte)act[ao + 4 + 16 + t];
            }
            float dw = Half(w, wo), mw = Half(w, wo + 2), da = Half(act, ao), sa = Half(act, ao + 2);
            fused = MathF.FusedMultiplyAdd(isum, dw * da, fused);
            fused = MathF.FusedMultiplyAdd(mw, sa, fused);
            plain += (dw * da) * isum + mw * sa;
            magnitude += Math.Abs((double)isum * dw * da) + Math.Abs((double)mw * sa);
        }
        return (fused, plain, magnitude);
    }

    private static float Half(byte[] bytes, int at) => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes, at));

    private static void WriteHalf(byte[] bytes, int at, double value)
    {
        ushort h = BitConverter.HalfToUInt16Bits((Half)value);
        bytes[at] = (byte)h; bytes[at + 1] = (byte)(h >> 8);
    }

    internal static byte[] RandomQ4_1Rows(Random rng, int rows, int k)
    {
        var data = new byte[rows * (k / 32) * 20];
        for (int at = 0; at < data.Length; at += 20)
        {
            WriteHalf(data, at, rng.NextDouble() * 0.05 + 1e-4);
            WriteHalf(data, at + 2, -rng.NextDouble() * 0.4);
            for (int t = 0; t < 16; t++) data[at + 4 + t] = (byte)rng.Next(256);
        }
        return data;
    }

    /// <summary>block_q8_1 rows: d, s = d·Σq (as quantize_row_q8_1 stores it), 32 int8 quants.</summary>
    internal static byte[] RandomQ8_1Rows(Random rng, int rows, int k)
    {
        var data = new byte[rows * (k / 32) * 36];
        for (int at = 0; at < data.Length; at += 36)
        {
            double d = rng.NextDouble() * 0.05 + 1e-4;
            int sum = 0;
            for (int t = 0; t < 32; t++)
            {
                int q = rng.Next(-127, 128);
                sum += q;
                data[at + 4 + t] = (byte)(sbyte)q;
            }
            WriteHalf(data, at, d);
            WriteHalf(data, at + 2, (float)(Half)d * sum);
        }
        return data;
    }
}
