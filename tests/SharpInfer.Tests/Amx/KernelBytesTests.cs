using SharpInfer.Backends.Cpu.Amx.Emit;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Pins the full 32×32 Q8_0 program (System V) to tools/amx/kernels/q8_0-32x32-sysv.hex, whose GNU
/// objdump disassembly sits next to it (.lst; regenerate with tools/amx/disasm.sh). A change to the
/// emitted program shows up here and must come with a refreshed, reviewed listing.
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
