using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Pins the full 32×32 Q8_0 program (System V) to tools/amx/kernels/q8_0-32x32-sysv.hex and the program loading its
/// tile config to q8_0-32x32-config.hex, whose GNU objdump disassemblies sit next to them (.lst; regenerate with
/// tools/amx/disasm.sh). A change to an emitted program shows up here and must come with a refreshed, reviewed listing.
/// </summary>
public sealed class KernelBytesTests
{
    [Fact]
    public void Q8_0BlockProgramMatchesTheReviewedListing()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "tools", "amx", "kernels", "q8_0-32x32-sysv.hex");
        string expected = File.ReadAllText(TestPaths.Require(path)).Trim();
        var code = TileGemmKernelEmitter.Emit(new TileGemmShape(16, 16, 16, 16, 32, PerStepOutput: true), X64Abi.SystemV);
        Assert.Equal(expected, Convert.ToHexString(code).ToLowerInvariant());
    }

    [Fact]
    public void ConfigProgramMatchesTheReviewedListing()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "tools", "amx", "kernels", "q8_0-32x32-config.hex");
        string expected = File.ReadAllText(TestPaths.Require(path)).Trim();
        var code = TileGemmKernelEmitter.EmitConfigure(new TileGemmShape(16, 16, 16, 16, 32, PerStepOutput: true));
        Assert.Equal(expected, Convert.ToHexString(code).ToLowerInvariant());
    }

    [Fact]
    public void ArgumentOffsetsMatchTheStructLayout()
    {
        // The emitted code reads fields at fixed displacements; the struct must agree.
        int Off(string field) => (int)System.Runtime.InteropServices.Marshal.OffsetOf<TileGemmArgs>(field);
        Assert.Equal(TileGemmArgs.OffA, Off(nameof(TileGemmArgs.A)));
        Assert.Equal(TileGemmArgs.OffLda, Off(nameof(TileGemmArgs.Lda)));
        Assert.Equal(TileGemmArgs.OffB0, Off(nameof(TileGemmArgs.B0)));
        Assert.Equal(TileGemmArgs.OffB1, Off(nameof(TileGemmArgs.B1)));
        Assert.Equal(TileGemmArgs.OffAStep, Off(nameof(TileGemmArgs.AStep)));
        Assert.Equal(TileGemmArgs.OffBStep, Off(nameof(TileGemmArgs.BStep)));
        Assert.Equal(TileGemmArgs.OffC, Off(nameof(TileGemmArgs.C)));
        Assert.Equal(TileGemmArgs.OffLdc, Off(nameof(TileGemmArgs.Ldc)));
        Assert.Equal(TileGemmArgs.OffCStep, Off(nameof(TileGemmArgs.CStep)));
        Assert.Equal(TileGemmArgs.OffKSteps, Off(nameof(TileGemmArgs.KSteps)));
        Assert.Equal(80, System.Runtime.CompilerServices.Unsafe.SizeOf<TileGemmArgs>());
    }

    [Fact]
    public void TileConfigIsGgmlsQ8_0Config()
    {
        // ggml_tile_config_init: tmm0/1 8×64 (B), tmm2/3 16×32 (A), tmm4–7 16×64 (C), palette 1.
        var cfg = TileGemmKernelEmitter.Config(new TileGemmShape(16, 16, 16, 16, 32, PerStepOutput: true)).Bytes;
        Assert.Equal(1, cfg[0]);
        int[] rows = [8, 8, 16, 16, 16, 16, 16, 16], colsb = [64, 64, 32, 32, 64, 64, 64, 64];
        for (int t = 0; t < 8; t++)
        {
            Assert.Equal(rows[t], cfg[48 + t]);
            Assert.Equal(colsb[t], cfg[16 + 2 * t] | (cfg[17 + 2 * t] << 8));
        }
    }
}
