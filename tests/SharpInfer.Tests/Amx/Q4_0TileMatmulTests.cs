using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q4_0 weights in ggml's AMX layout: the packed bytes against a re-derivation of ggml's pack_B
/// steps, and Q4_0 × Q8_0 through the emitted tile program (interpreted) and the gemv against
/// ggml's block arithmetic: per block Σ (nibble − 8)·a times d_w times d_a (ggml_vec_dot_q4_0_q8_0).
/// </summary>
public sealed unsafe class Q4_0TileMatmulTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 2, 16, 32 },
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
        byte[] w = RandomQ4_0Rows(rng, n, k);
        byte[] act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, m, k);
        var c = new float[m * n];
        Array.Fill(c, float.NaN);
        var packed = Q4_0AmxLayout.Pack(w, n, k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var sums = Q8_0TileMatmul.ThreadScratch(k / 32);
        var unpacked = Q4TileMatmul.ThreadUnpackScratch(k / 32);
        fixed (byte* pa = act) fixed (int* ps = sums) fixed (byte* pu = unpacked)
        {
            // The programs may read only the activations and the unpacked tiles and write only the sums.
            runner.Allow(pa, act.Length);
            runner.Allow(pu, unpacked.Length);
            runner.Allow(ps, sums.Length * sizeof(int));
            new Q4TileMatmul(runner, GgmlType.Q4_0).Multiply(act, m, k, packed, n, c);
        }
        Assert.True(runner.Calls > 0);
        Assert.False(runner.AnyThreadConfigured);

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                // ggml's AMX order (acc_C): C = fma(isum, d_w·d_a, C) per block: must agree to the bit.
                float fused = 0f;
                // ggml's generic scalar vec_dot: sumf += isum·d_w·d_a — may differ by rounding only.
                float plain = 0f;
                double magnitude = 0;
                for (int b = 0; b < k / 32; b++)
                {
                    int isum = 0;
                    for (int t = 0; t < 32; t++) isum += (Nibble(w, Q4Offset(j, b, k), t) - 8) * (sbyte)act[Q8Offset(i, b, k) + 2 + t];
                    float dw = Scale(w, Q4Offset(j, b, k)), da = Scale(act, Q8Offset(i, b, k));
                    fused = MathF.FusedMultiplyAdd(isum, dw * da, fused);
                    plain += isum * dw * da;
                    magnitude += Math.Abs((double)isum * dw * da);
                }
                float got = c[i * n + j];
                Assert.Equal(BitConverter.SingleToInt32Bits(fused), BitConverter.SingleToInt32Bits(got));
                Assert.True(Math.Abs(got - plain) <= 1e-6 * magnitude + 1e-30, $"({i},{j}): {got} vs {plain}");
            }
    }

    [Fact]
    public void AgreesWithTheProjectsVecDotOnQuantizedFloats()
    {
        // Real data path: weights quantized with quantize_row_q4_0_ref, activations with Q4_0's vec_dot
        // type (Q8_0); the reference is SharpInfer's Q4_0·Q8_0 dot (the plain path's kernel).
        int m = 9, n = 48, k = 256;
        var (w, act) = Q4AmxPaths.QuantizedRows(GgmlType.Q4_0, new Random(22), m, n, k, -1);
        int wRowBytes = k / 32 * 18, aRowBytes = k / 32 * 34;
        var (c, one) = Q4AmxPaths.BothPaths(GgmlType.Q4_0, Q4_0AmxLayout.Pack(w, n, k), act, m, n, k);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float expected = VecDot.Dot(GgmlType.Q4_0, w.AsSpan(j * wRowBytes, wRowBytes), act.AsSpan(i * aRowBytes, aRowBytes), k);
                Assert.True(Math.Abs(c[i * n + j] - expected) <= 1e-5f * (1 + Math.Abs(expected)), $"({i},{j}): {c[i * n + j]} vs {expected}");
                Assert.Equal(c[i * n + j], one[i * n + j]); // M = 1 over the same bytes: same bits as a tile row
            }
    }

    [Theory]
    [InlineData(16, 32)]
    [InlineData(48, 96)]
    [InlineData(64, 256)]
    public void GemvEqualsTheTilePathToTheBit(int n, int k)
    {
        var rng = new Random(n + k);
        var packed = Q4_0AmxLayout.Pack(RandomQ4_0Rows(rng, n, k), n, k);
        Q4AmxPaths.AssertGemvEqualsTiles(GgmlType.Q4_0, packed, Q8_0TileMatmulTests.RandomQ8_0Rows(rng, 1, k), n, k);
    }

    [Fact]
    public void ColumnRangesComposeToTheWholeProduct()
    {
        int m = 20, n = 80, k = 64;
        var rng = new Random(5);
        byte[] w = RandomQ4_0Rows(rng, n, k), act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, m, k);
        byte[] packed = Q4_0AmxLayout.Pack(w, n, k);
        var mm = new Q4TileMatmul(new InterpretedTileRunner(X64Abi.Native), GgmlType.Q4_0);
        var whole = new float[m * n];
        mm.Multiply(act, m, k, packed, n, whole);
        var pieces = new float[m * n];
        Parallel.ForEach(new[] { (0, 16), (16, 48), (64, 16) }, r => mm.Multiply(act, m, k, packed, n, pieces, r.Item1, r.Item2));
        Assert.Equal(whole, pieces);
        Assert.Throws<ArgumentException>(() => mm.Multiply(act, m, k, packed, n, pieces, 8, 16));
    }

    /// <summary>
    /// ggml's pack_B for block_q4_0, step by step as mmq.cpp describes it: bytes_from_nibbles_32 per row
    /// (low nibbles of qs[0..15], then their high nibbles), the 8×8 32-bit transposes into the int8
    /// VNNI tile {k/4 = 8, n = 16, 4} (rows 0–7 in bytes 0–31 of each 64-byte line, rows 8–15 in
    /// 32–63), packNibbles of lines 2p and 2p + 1 (line 2p low, 2p + 1 high) stored at p·64; then the
    /// 16 fp16 d at TILE_N·TILE_K/2 = 256. Tile size 16·sizeof(block_q4_0) = 288, laid out {N/16, K/32}.
    /// </summary>
    [Fact]
    public void RepackMatchesGgmlPackB()
    {
        int n = 32, k = 64;
        var rng = new Random(12);
        byte[] w = RandomQ4_0Rows(rng, n, k);
        byte[] packed = Q4_0AmxLayout.Pack(w, n, k);
        Assert.Equal(2 * 2 * 288, packed.Length);
        Assert.Equal(packed.Length, (long)n * (k / 32) * 18); // ggml's get_row_size: Q4_0 needs no extra bytes
        for (int p = 0; p < 2; p++)
            for (int b = 0; b < 2; b++)
            {
                int tile = (p * 2 + b) * 288;
                var vnni = new byte[8 * 64]; // tmp in pack_qs
                for (int half = 0; half < 2; half++)
                    for (int r = 0; r < 8; r++)
                    {
                        int src = Q4Offset(p * 16 + half * 8 + r, b, k);
                        var bytes = new byte[32];
                        for (int t = 0; t < 16; t++)
                        {
                            bytes[t] = (byte)(w[src + 2 + t] & 0xF);
                            bytes[16 + t] = (byte)(w[src + 2 + t] >> 4);
                        }
                        // transpose_8x8_32bit: 32-bit word g of row r goes to line g, word r (+32 bytes for rows 8–15)
                        for (int g = 0; g < 8; g++)
                            for (int i = 0; i < 4; i++)
                                vnni[g * 64 + half * 32 + r * 4 + i] = bytes[g * 4 + i];
                    }
                for (int line = 0; line < 8; line += 2)
                    for (int j = 0; j < 64; j++)
                        Assert.Equal((byte)(vnni[line * 64 + j] | (vnni[(line + 1) * 64 + j] << 4)), packed[tile + line * 32 + j]);
                for (int nn = 0; nn < 16; nn++)
                {
                    int src = Q4Offset(p * 16 + nn, b, k);
                    Assert.Equal(w[src], packed[tile + 256 + 2 * nn]);
                    Assert.Equal(w[src + 1], packed[tile + 257 + 2 * nn]);
                }
            }
    }

    [Fact]
    public void HandPlacedNibblesLandWhereGgmlPutsThem()
    {
        // Row 1 of panel 0, block 0: element e = 0..31 set to e % 16; all others 8 (zero after −8).
        int n = 16, k = 32;
        var w = new byte[n * 18];
        for (int r = 0; r < n; r++)
            for (int t = 0; t < 16; t++) w[r * 18 + 2 + t] = 0x88;
        for (int t = 0; t < 16; t++) w[18 + 2 + t] = (byte)((t % 16) | ((t + 16) % 16) << 4);
        var packed = Q4_0AmxLayout.Pack(w, n, k);
        // byte p·64 + row·4 + i: low nibble = element 8p + i, high nibble = element 8p + 4 + i
        Assert.Equal(0x40, packed[0 * 64 + 4 + 0]);  // elements 0 and 4
        Assert.Equal(0x73, packed[0 * 64 + 4 + 3]);  // elements 3 and 7
        Assert.Equal(0xC8, packed[1 * 64 + 4 + 0]);  // elements 8 and 12
        Assert.Equal(0x40, packed[2 * 64 + 4 + 0]);  // elements 16 and 20 (16 % 16 = 0, 20 % 16 = 4)
        Assert.Equal(0xFB, packed[3 * 64 + 4 + 3]);  // elements 27 and 31
        Assert.Equal(0x88, packed[0]);               // row 0 untouched

        var vnni = new sbyte[512];
        fixed (byte* t = packed) fixed (sbyte* v = vnni) Q4_0AmxLayout.Unpack(t, v);
        for (int e = 0; e < 32; e++) Assert.Equal(e % 16 - 8, vnni[(e / 4) * 64 + 1 * 4 + e % 4]);
        Assert.Equal(0, vnni[0]);
    }

    [Fact]
    public void UnpackedTilesAreTheQ8_0TilesOfTheSameIntegers()
    {
        // ggml's unpack_B<block_q4_0> must hand tdpbssd exactly what pack_B<block_q8_0> would store
        // for int8 weights nibble − 8: the Q8_0 AMX tile's first 512 bytes.
        int n = 32, k = 96;
        var rng = new Random(13);
        byte[] w = RandomQ4_0Rows(rng, n, k);
        var asQ8 = new byte[n * (k / 32) * 34];
        for (int r = 0; r < n; r++)
            for (int b = 0; b < k / 32; b++)
            {
                int src = Q4Offset(r, b, k), dst = Q8Offset(r, b, k);
                asQ8[dst] = w[src];
                asQ8[dst + 1] = w[src + 1];
                for (int t = 0; t < 32; t++) asQ8[dst + 2 + t] = (byte)(sbyte)(Nibble(w, src, t) - 8);
            }
        byte[] q4 = Q4_0AmxLayout.Pack(w, n, k), q8 = Q8_0AmxLayout.Pack(asQ8, n, k);
        var vnni = new byte[512];
        for (int tile = 0; tile < 2 * (k / 32); tile++)
        {
            fixed (byte* t = q4) fixed (byte* v = vnni) Q4_0AmxLayout.Unpack(t + tile * 288, (sbyte*)v);
            Assert.Equal(q8.AsSpan(tile * 608, 512).ToArray(), vnni);
            Assert.Equal(q8.AsSpan(tile * 608 + 512, 32).ToArray(), q4.AsSpan(tile * 288 + 256, 32).ToArray());
        }
    }

    [Fact]
    public void RefusesShapesGgmlsAmxBufferRefuses()
    {
        Assert.False(Q4_0AmxLayout.CanPack(24, 64));
        Assert.False(Q4_0AmxLayout.CanPack(32, 48));
        Assert.Throws<ArgumentException>(() => Q4_0AmxLayout.Pack(new byte[24 * 2 * 18], 24, 64));
    }

    private static int Q4Offset(int row, int block, int k) => row * (k / 32) * 18 + block * 18;

    private static int Q8Offset(int row, int block, int k) => row * (k / 32) * 34 + block * 34;

    /// <summary>Element <paramref name="t"/> (0–31) of the block_q4_0 at <paramref name="at"/>, unsigned.</summary>
    private static int Nibble(byte[] rows, int at, int t) => t < 16 ? rows[at + 2 + t] & 0xF : rows[at + 2 + t - 16] >> 4;

    private static float Scale(byte[] rows, int at) => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(rows, at));

    internal static byte[] RandomQ4_0Rows(Random rng, int rows, int k)
    {
        var data = new byte[rows * (k / 32) * 18];
        for (int at = 0; at < data.Length; at += 18)
        {
            ushort d = BitConverter.HalfToUInt16Bits((Half)(rng.NextDouble() * 0.05 + 1e-4));
            data[at] = (byte)d; data[at + 1] = (byte)(d >> 8);
            for (int t = 0; t < 16; t++) data[at + 2 + t] = (byte)rng.Next(256);
        }
        return data;
    }
}
