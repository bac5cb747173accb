using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Tile config once per thread's share of a matmul (ggml's ggml_tile_config_init per thread): the config is loaded
/// before the first block, reloaded only where the block geometry changes, released at the end, and released too when
/// a program fails part-way. The interpreter keeps each thread's tile state between programs, so a block run under
/// another block's config faults (#UD on mismatched tile shapes) or computes the wrong numbers.
/// </summary>
public sealed unsafe class TileSessionTests
{
    // Int8TileGemm walks 32-row blocks, within them 32-column blocks; the expected loads count geometry changes in that walk.
    [Theory]
    [InlineData(64, 64, 1)]   // four 32 × 32 blocks: one config
    [InlineData(40, 64, 2)]   // 32×32, 32×32, then 8×32, 8×32
    [InlineData(40, 48, 4)]   // 32×32, 32×16, 8×32, 8×16: a change at every block
    [InlineData(96, 16, 1)]   // three 32 × 16 blocks
    public void ConfigIsLoadedOncePerGeometryRunAndReleasedAtTheEnd(int m, int n, int expectedLoads)
    {
        const int k = 128;
        var rng = new Random(m * 131 + n);
        var a = Int8TileGemmTests.RandomInt8(rng, m * k);
        var w = Int8TileGemmTests.RandomInt8(rng, n * k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var c = new int[m * n];
        new Int8TileGemm(runner).Multiply(a, m, k, Int8VnniPacking.Pack(w, n, k), n, c);

        Assert.Equal(Int8TileGemmTests.Reference(a, w, m, n, k), c);
        Assert.Equal(expectedLoads, runner.ConfigLoads);
        Assert.Equal(1, runner.Releases);
        Assert.False(runner.AnyThreadConfigured);
    }

    [Fact]
    public void EachCallIsItsOwnSession()
    {
        const int m = 32, n = 32, k = 64;
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var gemm = new Int8TileGemm(runner);
        var packed = Int8VnniPacking.Pack(new sbyte[n * k], n, k);
        for (int i = 0; i < 3; i++) gemm.Multiply(new sbyte[m * k], m, k, packed, n, new int[m * n]);
        Assert.Equal(3, runner.ConfigLoads);
        Assert.Equal(3, runner.Releases);
    }

    [Fact]
    public void AFailingProgramStillReleasesTheTiles()
    {
        const int m = 64, n = 64, k = 64;
        var runner = new FailingRunner(new InterpretedTileRunner(X64Abi.Native), failAtCall: 3);
        var packed = Int8VnniPacking.Pack(new sbyte[n * k], n, k);
        Assert.Throws<InvalidOperationException>(() => new Int8TileGemm(runner).Multiply(new sbyte[m * k], m, k, packed, n, new int[m * n]));
        Assert.Equal(1, runner.Inner.ConfigLoads);
        Assert.Equal(1, runner.Inner.Releases);
        Assert.False(runner.Inner.AnyThreadConfigured);
    }

    [Fact]
    public void ThreadsHaveTheirOwnSessions()
    {
        // Two threads take half the columns each, interleaved at the program level: each thread's config is its own.
        const int m = 40, n = 64, k = 256;
        var rng = new Random(5);
        var w = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, n, k);
        var act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, m, k);
        var packed = Q8_0AmxLayout.Pack(w, n, k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        var mm = new Q8_0TileMatmul(runner);
        var whole = new float[m * n];
        mm.Multiply(act, m, k, packed, n, whole);

        var split = new float[m * n];
        using var barrier = new Barrier(2);
        var threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            int start = t * n / 2;
            threads[t] = new Thread(() => { barrier.SignalAndWait(); mm.Multiply(act, m, k, packed, n, split, start, n / 2); });
            threads[t].Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Equal(whole, split);
        Assert.False(runner.AnyThreadConfigured);
    }

    /// <summary>Passes programs through until the <c>failAtCall</c>-th, which throws instead of running.</summary>
    private sealed class FailingRunner(InterpretedTileRunner inner, int failAtCall) : ITileProgramRunner
    {
        private int _calls;
        public InterpretedTileRunner Inner => inner;
        public X64Abi Abi => inner.Abi;

        public void Run(byte[] program, void* args)
        {
            if (++_calls == failAtCall) throw new InvalidOperationException("program failed");
            inner.Run(program, args);
        }
    }
}
