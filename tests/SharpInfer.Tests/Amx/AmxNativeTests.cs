using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Amx.Interpreter;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// The tile kernels on the real CPU. Where AMX is offered they must equal the scalar reference and
/// the interpreter; where it is not, the native runner must refuse with the detection's reason
/// (running tile code without permission would kill the process). tools/amx/amx-check.sh sets
/// SHARPINFER_REQUIRE_AMX=1, which turns "not offered" into a failure.
/// </summary>
public sealed class AmxNativeTests(ITestOutputHelper output)
{
    private static bool Required => Environment.GetEnvironmentVariable("SHARPINFER_REQUIRE_AMX") == "1";

    [Fact]
    public void NativeTileKernelsMatchReferenceWhereAmxIsOffered()
    {
        var status = AmxSupport.Status;
        output.WriteLine($"detection: {status}");
        if (!status.IsAvailable)
        {
            Assert.False(Required, $"SHARPINFER_REQUIRE_AMX=1 but {status}");
            var refusal = Assert.Throws<InvalidOperationException>(() => new NativeTileProgramRunner());
            Assert.Contains(status.Reason!, refusal.Message);
            return;
        }

        using var native = new NativeTileProgramRunner();
        foreach (var (m, n, k) in new[] { (1, 1, 64), (32, 32, 128), (17, 33, 192), (100, 70, 512) })
        {
            var rng = new Random(m + n + k);
            var a = Int8TileGemmTests.RandomInt8(rng, m * k);
            var w = Int8TileGemmTests.RandomInt8(rng, n * k);
            var packed = Int8VnniPacking.Pack(w, n, k);
            var c = new int[m * n];
            new Int8TileGemm(native).Multiply(a, m, k, packed, n, c);
            Assert.Equal(Int8TileGemmTests.Reference(a, w, m, n, k), c);
            output.WriteLine($"int8 GEMM {m}x{k} · {k}x{n}: native == scalar reference");
        }

        foreach (var (m, n, k) in new[] { (1, 16, 32), (33, 48, 256), (64, 64, 1024) })
        {
            var rng = new Random(m * n + k);
            var w = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, n, k);
            var act = Q8_0TileMatmulTests.RandomQ8_0Rows(rng, m, k);
            var packed = Q8_0AmxLayout.Pack(w, n, k);
            var viaCpu = new float[m * n];
            var viaVm = new float[m * n];
            new Q8_0TileMatmul(native).Multiply(act, m, k, packed, n, viaCpu);
            new Q8_0TileMatmul(new InterpretedTileRunner(X64Abi.Native)).Multiply(act, m, k, packed, n, viaVm);
            Assert.Equal(viaVm, viaCpu);
            output.WriteLine($"Q8_0 matmul {m}x{k} · {k}x{n}: native == interpreter");
        }

        if (!status.HasBf16) { output.WriteLine("CPU has no AMX-BF16: BF16 program not run"); return; }
        foreach (var (m, n, k) in new[] { (19, 45, 128), (64, 64, 512) })
        {
            var rng = new Random(m - n + k);
            var a = new ushort[m * k];
            var w = new ushort[n * k];
            for (int i = 0; i < a.Length; i++) a[i] = (ushort)(BitConverter.SingleToInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
            for (int i = 0; i < w.Length; i++) w[i] = (ushort)(BitConverter.SingleToInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
            var packed = Bf16TileGemm.Pack(w, n, k);
            var viaCpu = new float[m * n];
            var viaVm = new float[m * n];
            new Bf16TileGemm(native).Multiply(a, m, k, packed, n, viaCpu);
            new Bf16TileGemm(new InterpretedTileRunner(X64Abi.Native)).Multiply(a, m, k, packed, n, viaVm);
            // The interpreter follows the SDM pseudocode (one product added at a time); hardware may
            // round pairs differently, so report bit-exactness and require only fp32-level agreement.
            int differing = 0;
            for (int i = 0; i < viaCpu.Length; i++)
            {
                if (viaCpu[i] != viaVm[i]) differing++;
                Assert.True(Math.Abs(viaCpu[i] - viaVm[i]) <= 1e-5f * (1 + Math.Abs(viaVm[i])), $"BF16 [{i}]: native {viaCpu[i]} vs interpreter {viaVm[i]}");
            }
            output.WriteLine($"BF16 GEMM {m}x{k} · {k}x{n}: native == interpreter within 1e-5 ({differing} of {viaCpu.Length} not bit-exact)");
        }
    }
}
