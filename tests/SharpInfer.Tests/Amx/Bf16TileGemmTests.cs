using SharpInfer.Platform.X64;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>The emitted tdpbf16ps GEMM (interpreted) against a scalar BF16 GEMM in the SDM's order.</summary>
public sealed unsafe class Bf16TileGemmTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 32 }, { 16, 16, 64 }, { 32, 32, 96 }, { 19, 45, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesSequentialFp32Accumulation(int m, int n, int k)
    {
        var rng = new Random(m * 100 + n + k);
        ushort[] Bf16s(int count)
        {
            var v = new ushort[count];
            for (int i = 0; i < count; i++) v[i] = (ushort)(BitConverter.SingleToInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
            return v;
        }
        var a = Bf16s(m * k);
        var w = Bf16s(n * k);
        var c = new float[m * n];
        var packed = Bf16TileGemm.Pack(w, n, k);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        fixed (ushort* pa = a) fixed (byte* pw = packed) fixed (float* pc = c)
        {
            runner.Allow(pa, a.Length * 2L);
            runner.Allow(pw, packed.Length);
            runner.Allow(pc, c.Length * 4L);
            new Bf16TileGemm(runner).Multiply(a, m, k, packed, n, c);
        }
        Assert.False(runner.AnyThreadConfigured);

        static float F(ushort h) => BitConverter.Int32BitsToSingle(h << 16);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                // tdpbf16ps adds each product in turn, k ascending (per tile step and across steps).
                float acc = 0f;
                for (int t = 0; t < k; t++)
                {
                    acc += F(a[i * k + t]) * F(w[j * k + t]);
                    if (float.IsSubnormal(acc)) acc = 0f;
                }
                Assert.Equal(BitConverter.SingleToInt32Bits(acc), BitConverter.SingleToInt32Bits(c[i * n + j]));
            }
    }
}
