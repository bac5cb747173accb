using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Kernels.Vnni;
using SharpInfer.Numerics.Quants;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Numerics.Kernels;

/// <summary>
/// The register-blocked 4 × 4 kernels of prompt processing (the intrinsic <see cref="SignedBlockTiles"/> and the emitted
/// AVX512_VNNI kernels) must give every output bit-identical to the single-row kernel, whose order is ggml's.
/// Weight blocks are raw random bytes (Q8_0 values include −128, which the quantizer never writes but a file may hold).
/// </summary>
public sealed unsafe class TileKernelTests(ITestOutputHelper output)
{
    private static bool VnniRequired => Environment.GetEnvironmentVariable("SHARPINFER_REQUIRE_VNNI") == "1";

    /// <summary>Whether an emitted-kernel test runs here; says loudly why not, and fails where SHARPINFER_REQUIRE_VNNI=1.</summary>
    private bool VnniRuns(bool available)
    {
        if (available) return true;
        output.WriteLine($"AVX512_VNNI kernels not available ({VnniTiles.UnavailableReason}): not run");
        Assert.False(VnniRequired, "SHARPINFER_REQUIRE_VNNI=1 but the VNNI kernels are not available");
        return false;
    }

    public static TheoryData<GgmlType, KernelIsa> IntrinsicCases()
    {
        var data = new TheoryData<GgmlType, KernelIsa>();
        foreach (var t in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0 })
            foreach (var isa in CpuKernels.Available)
                if (isa != KernelIsa.Scalar) data.Add(t, isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(IntrinsicCases))]
    public void IntrinsicTilesEqualTheRowKernel(GgmlType type, KernelIsa isa)
    {
        var tile = DotKernels.TileFor(type, isa);
        Assert.True(tile != null, $"{type} has no tile kernel at {isa}");
        var single = DotKernels.For(type, DotKernels.PreferredIsa(type, isa));
        foreach (int n in new[] { 32, 96, 544 })
            Check(type, n, seed: n, single, (x, xs, y, ys, side, ss, s, os) => tile(x, xs, y, ys, n, s, os));
    }

    [Fact]
    public void EmittedVnniTilesEqualTheRowKernelWhereTheCpuHasVnni()
    {
        if (!VnniRuns(VnniTiles.IsAvailable)) return;
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0 })
        {
            var single = DotKernels.Best(type);
            foreach (int n in new[] { 32, 64, 96, 2048 })
            {
                Check(type, n, seed: 7 * n, single, (x, xs, y, ys, side, ss, s, os) => VnniTiles.Tile(type, x, xs, y, ys, side, ss, n, s, os));
                output.WriteLine($"{type} n={n}: 16 outputs bit-identical to the row kernel");
            }
        }
    }

    public static TheoryData<GgmlType> KQuantTileTypes() => new() { GgmlType.Q4_K, GgmlType.Q6_K };

    /// <summary>
    /// The K-quant prompt tiles (<see cref="DotKernels.TileWeightRows"/> weight rows × 4 activation rows: Q4_K at every
    /// vector level, Q6_K on AVX-512) against the row kernel, on quantized rows and on raw random super-blocks (every
    /// 6-bit scale and min pattern, any quants; the tiles unpack them in vectors).
    /// </summary>
    [Theory]
    [MemberData(nameof(KQuantTileTypes))]
    public void KQuantTileEqualsTheRowKernel(GgmlType type)
    {
        var tile = DotKernels.BestTile(type);
        bool expected = CpuKernels.Best == KernelIsa.Avx512 || (type == GgmlType.Q4_K && CpuKernels.Best != KernelIsa.Scalar);
        Assert.True(tile != null || !expected, $"no {type} tile kernel at {CpuKernels.Best}");
        if (tile == null)
        {
            output.WriteLine($"{type}: no tile kernel at {CpuKernels.Best}; not run");
            return;
        }
        int rows = DotKernels.TileWeightRows(type);
        var single = DotKernels.Best(type);
        foreach (bool raw in new[] { false, true })
            foreach (int n in new[] { 256, 768, 2048 })
            {
                int xs = (int)GgmlTypeInfo.Get(type).RowBytes(n) + 3;
                var w = KQuantRows(type, n, rows, xs, raw, seed: n);
                int ys = VecDot.ActivationRowBytes(type, n) + 5;
                var a = new byte[ys * 4];
                for (int j = 0; j < 4; j++)
                    VecDot.QuantizeActivations(type, QuantizationRoundTripTests.RandomRow(n, seed: 77 + j, scale: 1f), a.AsSpan(j * ys, ys - 5));
                var o = new float[rows * 4 * 2];
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                fixed (float* po = o)
                {
                    tile(pw, xs, pa, ys, n, po, 2 * rows);
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < 4; j++)
                        {
                            float want = single(pw + i * xs, pa + j * ys, n);
                            Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(po[i + j * 2 * rows]),
                                $"{type} {(raw ? "raw" : "quantized")} n={n} weight row {i}, activation row {j}: {po[i + j * 2 * rows]} vs {want}");
                        }
                }
            }
    }

    /// <summary>
    /// <paramref name="rows"/> Q4_K or Q6_K rows <paramref name="xs"/> bytes apart: quantized random values, or (raw) random
    /// bytes — any quants, scales and mins — with finite random super-block scales (d, dmin).
    /// </summary>
    private static byte[] KQuantRows(GgmlType type, int n, int rows, int xs, bool raw, int seed)
    {
        var rng = new Random(seed + (raw ? 1 : 0));
        var w = new byte[xs * rows];
        var info = GgmlTypeInfo.Get(type);
        int rowBytes = (int)info.RowBytes(n);
        for (int r = 0; r < rows; r++)
        {
            var row = w.AsSpan(r * xs, rowBytes);
            if (!raw) { Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(n, seed: 70 * seed + r), row); continue; }
            rng.NextBytes(row);
            for (int b = 0; b < n / 256; b++)
            {
                var block = row[(info.BytesPerBlock * b)..];
                if (type == GgmlType.Q4_K)
                {
                    BitConverter.TryWriteBytes(block, (Half)((rng.NextDouble() - 0.3) / 32));
                    BitConverter.TryWriteBytes(block[2..], (Half)((rng.NextDouble() - 0.3) / 64));
                }
                else BitConverter.TryWriteBytes(block[208..], (Half)((rng.NextDouble() - 0.3) / 32)); // Q6_K: d last
            }
        }
        return w;
    }

    public static TheoryData<GgmlType, KernelIsa> ColumnCases()
    {
        var data = new TheoryData<GgmlType, KernelIsa>();
        foreach (var isa in CpuKernels.Available)
        {
            if (isa == KernelIsa.Scalar) continue;
            foreach (var t in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0 }) data.Add(t, isa);
            if (isa == KernelIsa.Avx512) { data.Add(GgmlType.Q4_K, isa); data.Add(GgmlType.Q5_K, isa); data.Add(GgmlType.Q6_K, isa); data.Add(GgmlType.Q2_K, isa); data.Add(GgmlType.Q3_K, isa); data.Add(GgmlType.IQ4_NL, isa); }
        }
        return data;
    }

    /// <summary>
    /// Generation's 4-weight-rows × 1-activation-row kernels against the row kernel, on quantized random rows: three
    /// groups of 4 rows in one call, each group's outputs in its own place.
    /// </summary>
    [Theory]
    [MemberData(nameof(ColumnCases))]
    public void ColumnKernelsEqualTheRowKernel(GgmlType type, KernelIsa isa)
    {
        var column = DotKernels.ColumnFor(type, isa);
        Assert.True(column != null, $"{type} has no column kernel at {isa}");
        var single = DotKernels.For(type, DotKernels.PreferredIsa(type, isa));
        int block = GgmlTypeInfo.Get(type).BlockSize;
        foreach (int n in new[] { block, 3 * block, 8 * block })
        {
            int xs = (int)GgmlTypeInfo.Get(type).RowBytes(n) + 7;
            const int rows = 12;
            var w = new byte[xs * rows];
            for (int r = 0; r < rows; r++)
                Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(n, seed: 50 * n + r), w.AsSpan(r * xs, xs - 7));
            var a = new byte[VecDot.ActivationRowBytes(type, n)];
            VecDot.QuantizeActivations(type, QuantizationRoundTripTests.RandomRow(n, seed: 3 * n, scale: 1f), a);
            var s = new float[rows];
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            fixed (float* ps = s)
            {
                column(pw, xs, pa, n, ps, rows / 4);
                for (int r = 0; r < rows; r++)
                {
                    float expected = single(pw + r * xs, pa, n);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(ps[r]), $"{type} {isa} n={n} row {r}: {ps[r]} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void EmittedVnniColumnEqualsTheRowKernelWhereTheCpuHasVnni()
    {
        if (!VnniRuns(VnniTiles.IsAvailable)) return;
        // the 4 × 1 form is emitted only for the types without a pair kernel (Q8_0/Q4_0: the pair test below)
        foreach (var type in new[] { GgmlType.Q5_0 })
            foreach (int n in new[] { 32, 96, 2048 })
            {
                Assert.False(VnniTiles.SupportsPairColumn(type));
                // each activation row of the tile checker alone; two groups of 4 rows in one call
                Check(type, n, seed: 11 * n, DotKernels.Best(type), (x, xs, y, ys, side, ss, s, os) =>
                {
                    var col = stackalloc float[8];
                    for (int j = 0; j < 4; j++)
                    {
                        VnniTiles.Column(type, x, xs, 2, y + j * ys, side + j * ss, n, col);
                        for (int i = 0; i < 8; i++) s[i + j * os] = col[i];
                    }
                }, weightRows: 8);
            }
    }

    [Fact]
    public void EmittedVnniPairColumnEqualsTheRowKernelWhereTheCpuHasVnni()
    {
        if (!VnniRuns(VnniTiles.IsAvailable)) return;
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
        {
            Assert.True(VnniTiles.SupportsPairColumn(type));
            foreach (int n in new[] { 32, 96, 2048 })
                Check(type, n, seed: 13 * n, DotKernels.Best(type), (x, xs, y, ys, side, ss, s, os) =>
                {
                    // three groups of rows in one call: each group's outputs land in its own place
                    var col = stackalloc float[3 * VnniPairColumnKernel.Rows];
                    for (int j = 0; j < 4; j++)
                    {
                        VnniTiles.PairColumns(type, x, xs, 3, y + j * ys, side + j * ss, n, col);
                        for (int i = 0; i < 3 * VnniPairColumnKernel.Rows; i++) s[i + j * os] = col[i];
                    }
                }, weightRows: 3 * VnniPairColumnKernel.Rows);
        }
    }

    /// <summary>
    /// The emitted Q4_K generation kernel against the row kernel: quantized rows (real scales and mins) and raw random
    /// super-blocks (every 6-bit scale and min pattern, any nibbles) with finite random d and dmin.
    /// </summary>
    [Fact]
    public void EmittedVnniQ4KColumnEqualsTheRowKernelWhereTheCpuHasVnni()
    {
        if (!VnniRuns(VnniQ4KColumns.IsAvailable)) return;
        var single = DotKernels.Best(GgmlType.Q4_K);
        var s = stackalloc float[8];
        foreach (bool raw in new[] { false, true })
            foreach (int n in new[] { 256, 768, 2048 })
            {
                int xs = (int)GgmlTypeInfo.Get(GgmlType.Q4_K).RowBytes(n) + 7;
                var w = KQuantRows(GgmlType.Q4_K, n, 8, xs, raw, seed: n);
                var x = QuantizationRoundTripTests.RandomRow(n, seed: 5 * n, scale: 2f);
                for (int i = 0; i < n; i += 7) x[i] *= 30; // activation blocks whose quants reach ±127
                var a = new byte[VecDot.ActivationRowBytes(GgmlType.Q4_K, n)];
                VecDot.QuantizeActivations(GgmlType.Q4_K, x, a);
                fixed (byte* pw = w)
                fixed (byte* pa = a)
                {
                    VnniQ4KColumns.Column(pw, xs, pa, n, s, 2); // two groups of 4 rows
                    for (int r = 0; r < 8; r++)
                    {
                        float expected = single(pw + r * xs, pa, n);
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(s[r]),
                            $"Q4_K {(raw ? "raw" : "quantized")} n={n} row {r}: {s[r]} vs {expected}");
                    }
                }
            }
    }

    private delegate void TileCall(byte* x, nint xs, byte* y, nint ys, byte* side, nint sideStride, float* s, nint ss);

    private static void Check(GgmlType type, int n, int seed, delegate*<byte*, byte*, int, float> single, TileCall tile, int weightRows = 4)
    {
        const int R = 4;
        int W = weightRows, os = W + 3;
        var rng = new Random(seed);
        int blockBytes = GgmlTypeInfo.Get(type).BytesPerBlock;
        int xs = (int)GgmlTypeInfo.Get(type).RowBytes(n) + 5; // strides that are not the row sizes
        var w = new byte[xs * W];
        rng.NextBytes(w);
        for (int r = 0; r < W; r++)
            for (int b = 0; b < n / 32; b++)
                BitConverter.TryWriteBytes(w.AsSpan(r * xs + b * blockBytes), (Half)((rng.NextDouble() - 0.5) / 64));
        int ys = VecDot.ActivationRowBytes(type, n) + 3;
        var a = new byte[ys * R];
        for (int j = 0; j < R; j++)
        {
            var row = QuantizationRoundTripTests.RandomRow(n, seed: seed + j, scale: 2f);
            if (j == 1) for (int i = 0; i < n; i += 3) row[i] = -row[i] * 40; // rows whose quants reach ±127
            VecDot.QuantizeActivations(type, row, a.AsSpan(j * ys, ys - 3));
        }
        int sideStride = (int)ActivationSide.Bytes(1, n);
        var side = new byte[sideStride * R];
        var outputs = new float[R * os];
        fixed (byte* pw = w)
        fixed (byte* pa = a)
        fixed (byte* ps = side)
        fixed (float* po = outputs)
        {
            for (int j = 0; j < R; j++) ActivationSide.Compute(pa + j * ys, ys, 1, n, VnniTiles.SideOffset(type), ps + j * sideStride);
            tile(pw, xs, pa, ys, ps, sideStride, po, os);
            for (int i = 0; i < W; i++)
                for (int j = 0; j < R; j++)
                {
                    float expected = single(pw + i * xs, pa + j * ys, n);
                    float got = po[i + os * j];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got),
                        $"{type} n={n} weight row {i}, activation row {j}: {got} vs {expected}");
                }
        }
    }
}
