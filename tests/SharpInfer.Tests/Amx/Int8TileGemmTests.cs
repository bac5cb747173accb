using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>The emitted tdpbssd GEMM, run through the interpreter, equals a scalar int8 GEMM.</summary>
public sealed unsafe class Int8TileGemmTests
{
    public static TheoryData<int, int, int, string> Shapes() => new()
    {
        { 1, 1, 64, "SystemV" },
        { 16, 16, 64, "SystemV" },
        { 32, 32, 128, "SystemV" },
        { 32, 32, 128, "Windows" },
        { 17, 33, 192, "SystemV" },
        { 5, 40, 64, "Windows" },
        { 33, 7, 256, "SystemV" },
        { 48, 50, 64, "SystemV" },
        { 31, 17, 128, "Windows" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesScalarReference(int m, int n, int k, string abi)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        var a = RandomInt8(rng, m * k);
        var w = RandomInt8(rng, n * k);
        var runner = new InterpretedTileRunner(abi == "Windows" ? X64Abi.Windows : X64Abi.SystemV);
        var gemm = new Int8TileGemm(runner);
        var c = new int[m * n];
        Array.Fill(c, 0x5A5A5A5A); // every output must be written
        var packed = Int8VnniPacking.Pack(w, n, k);
        fixed (sbyte* pa = a) fixed (byte* pw = packed) fixed (int* pc = c)
        {
            // The programs may touch exactly A, the packed weights and C.
            runner.Allow(pa, a.Length);
            runner.Allow(pw, packed.Length);
            runner.Allow(pc, c.Length * sizeof(int));
            gemm.Multiply(a, m, k, packed, n, c);
        }
        Assert.Equal(Reference(a, w, m, n, k), c);
        // one GEMM program per 32 × 32 block, around them one session: configs loaded, released once at the end
        Assert.Equal(((m + 31) / 32) * ((n + 31) / 32), runner.Calls - runner.ConfigLoads - runner.Releases);
        Assert.Equal(1, runner.Releases);
        Assert.False(runner.AnyThreadConfigured);
    }

    [Fact]
    public void ExtremeValuesAreExact()
    {
        // All −128 × −128: each product 16384, K = 256 → 4 194 304 per output; and mixed signs.
        int m = 20, n = 20, k = 256;
        var a = new sbyte[m * k];
        var w = new sbyte[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = (i & 1) == 0 ? sbyte.MinValue : sbyte.MaxValue;
        for (int i = 0; i < w.Length; i++) w[i] = (i % 3) == 0 ? sbyte.MaxValue : sbyte.MinValue;
        var c = new int[m * n];
        new Int8TileGemm(new InterpretedTileRunner(X64Abi.SystemV)).Multiply(a, m, k, Int8VnniPacking.Pack(w, n, k), n, c);
        Assert.Equal(Reference(a, w, m, n, k), c);
    }

    [Fact]
    public void PackingFollowsGgmlVnniOrder()
    {
        // Tile {k/4, n, 4}: byte (k/4)*64 + n*4 + k%4 holds W[n, k]; panel 1 starts after panel 0's K steps.
        int n = 20, k = 128;
        var w = new sbyte[n * k];
        for (int r = 0; r < n; r++) for (int c = 0; c < k; c++) w[r * k + c] = (sbyte)(r * 7 + c);
        var packed = Int8VnniPacking.Pack(w, n, k);
        Assert.Equal(2 * 2 * 1024, packed.Length);
        Assert.Equal((byte)w[3 * k + 5], packed[(5 / 4) * 64 + 3 * 4 + 5 % 4]);
        Assert.Equal((byte)w[3 * k + 64 + 9], packed[1024 + (9 / 4) * 64 + 3 * 4 + 9 % 4]);
        Assert.Equal((byte)w[17 * k + 70], packed[2 * 1024 + 1024 + (6 / 4) * 64 + 1 * 4 + 6 % 4]);
        Assert.Equal(0, packed[2 * 1024 + 5 * 4]); // row 21 does not exist: zero padding
    }

    [Fact]
    public void ProgramsAreEmittedOncePerBlockShape()
    {
        var gemm = new Int8TileGemm(new InterpretedTileRunner(X64Abi.SystemV));
        var a = new sbyte[40 * 64];
        var w = new sbyte[40 * 64];
        gemm.Multiply(a, 40, 64, Int8VnniPacking.Pack(w, 40, 64), 40, new int[40 * 40]);
        Assert.Equal(4, gemm.ProgramCount); // 32×32, 32×8, 8×32, 8×8
    }

    internal static sbyte[] RandomInt8(Random rng, int count)
    {
        var v = new sbyte[count];
        for (int i = 0; i < count; i++) v[i] = (sbyte)rng.Next(-128, 128);
        return v;
    }

    internal static int[] Reference(sbyte[] a, sbyte[] w, int m, int n, int k)
    {
        var c = new int[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int s = 0;
                for (int t = 0; t < k; t++) s = unchecked(s + a[i * k + t] * w[j * k + t]);
                c[i * n + j] = s;
            }
        return c;
    }
}
