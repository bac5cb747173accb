using System.Buffers.Binary;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Platform.X64;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q4_K weights in <see cref="Q4_KAmxLayout"/> × Q8_K activations: the tile program (interpreted) and the gemv against
/// a reference written from the file's block_q4_K / block_q8_K bytes — per super-block the integer sums
/// Σ sc·isum and Σ m·Σa, then C = fma(sumi, d·d_y, C), C = fma(dmin·d_y, −summ, C) — to the bit, and against the
/// project's vec_dot (ggml's order) within float rounding.
/// </summary>
public sealed unsafe class Q4_KTileMatmulTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 2, 16, 256 },
        { 7, 32, 512 },
        { 33, 48, 256 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TilesAndGemvEqualTheReferenceOrder(int m, int n, int k)
    {
        var (w, act) = RandomRows(new Random(m * 131 + n * 7 + k), m, n, k);
        int wRowBytes = k / 256 * 144, aRowBytes = k / 256 * 292;
        var packed = Q4_KAmxLayout.Pack(w, n, k);
        Assert.Equal(Q4_KAmxLayout.PackedBytes(n, k), packed.Length);

        var c = new float[m * n];
        Array.Fill(c, float.NaN);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        new Q4_KTileMatmul(runner).Multiply(act, m, k, packed, n, c, 0, n);
        Assert.True(runner.Calls > 0);

        var scalar = new float[n];
        var vector = new float[n];
        for (int i = 0; i < m; i++)
        {
            fixed (byte* pw = packed) fixed (byte* pa = act) fixed (float* ys = scalar) fixed (float* yv = vector)
            {
                Q4_KAmxMath.GemvScalar(pw, k, pa + i * aRowBytes, ys, 0, n);
                if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) Q4_KAmxMath.GemvAvx512(pw, k, pa + i * aRowBytes, yv, 0, n);
                else Q4_KAmxMath.GemvScalar(pw, k, pa + i * aRowBytes, yv, 0, n);
            }
            for (int j = 0; j < n; j++)
            {
                var wRow = w.AsSpan(j * wRowBytes, wRowBytes);
                var aRow = act.AsSpan(i * aRowBytes, aRowBytes);
                var (expected, magnitude) = Reference(wRow, aRow, k);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c[i * n + j]), $"tiles ({i},{j}): {c[i * n + j]} vs {expected}");
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(scalar[j]), $"gemv ({i},{j}): {scalar[j]} vs {expected}");
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(vector[j]), $"AVX-512 gemv ({i},{j}): {vector[j]} vs {expected}");
                float ggml = VecDot.Dot(GgmlType.Q4_K, wRow, aRow, k);
                Assert.True(Math.Abs(ggml - expected) <= 1e-5 * magnitude, $"({i},{j}): {expected} vs vec_dot {ggml}");
            }
        }
    }

    [Fact]
    public void ScaleStepVectorEqualsScalar()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            throw new PlatformNotSupportedException("this twin compares the AVX-512 path, and this CPU has no AVX-512F");
        int rows = 19, cols = 32, k = 512, steps = k / 32;
        var (w, act) = RandomRows(new Random(5), rows, cols, k);
        var packed = Q4_KAmxLayout.Pack(w, cols, k);
        var rng = new Random(6);
        var sums = new int[steps * 1024];
        for (int i = 0; i < sums.Length; i++) sums[i] = rng.Next(-30000, 30000);
        long rowBytes = k / 256 * 292, panelBytes = (long)steps * Q4_KAmxLayout.TileBytes;
        var vector = new float[rows * cols];
        var scalar = new float[rows * cols];
        fixed (byte* pa = act) fixed (byte* pw = packed) fixed (int* ps = sums)
        {
            Q4_KAmxMath.ApplyTileSumsAvx512(pa, rowBytes, pw, panelBytes, ps, steps, rows, cols, vector, cols);
            Q4_KAmxMath.ApplyTileSumsScalar(pa, rowBytes, pw, panelBytes, ps, steps, rows, cols, scalar, cols);
        }
        Assert.Equal(scalar, vector);
    }

    /// <summary>Per super-block, integer sums over its sub-blocks then two fused adds, from the file's bytes; also Σ|terms|.</summary>
    private static (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k)
    {
        float acc = 0f;
        double magnitude = 0;
        for (int s = 0; s < k / 256; s++)
        {
            var wb = wRow.Slice(s * 144, 144);
            var ab = aRow.Slice(s * 292, 292);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(wb), dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(wb[2..]);
            float dy = BinaryPrimitives.ReadSingleLittleEndian(ab);
            int sumi = 0, summ = 0;
            for (int j = 0; j < 8; j++)
            {
                QuantMath.GetScaleMinK4(j, wb.Slice(4, 12), out byte sc, out byte mn);
                int isum = 0, sa = 0;
                for (int i = 0; i < 32; i++)
                {
                    int q = (wb[16 + 32 * (j / 2) + i] >> (4 * (j % 2))) & 0xF;
                    int a = (sbyte)ab[4 + 32 * j + i];
                    isum += q * a;
                    sa += a;
                }
                Assert.Equal(sa, BinaryPrimitives.ReadInt16LittleEndian(ab[(260 + 4 * j)..]) + BinaryPrimitives.ReadInt16LittleEndian(ab[(262 + 4 * j)..]));
                sumi += sc * isum;
                summ += mn * sa;
            }
            acc = MathF.FusedMultiplyAdd(sumi, d * dy, acc);
            acc = MathF.FusedMultiplyAdd(dmin * dy, -summ, acc);
            magnitude += Math.Abs((double)sumi * d * dy) + Math.Abs((double)dmin * dy * summ);
        }
        return (acc, magnitude);
    }

    private static (byte[] Weights, byte[] Activations) RandomRows(Random rng, int m, int n, int k)
    {
        var wf = new float[n * k];
        var af = new float[m * k];
        for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 2 - 0.8);
        for (int i = 0; i < af.Length; i++) af[i] = (float)(rng.NextDouble() * 6 - 3);
        var w = new byte[n * (k / 256) * 144];
        var act = new byte[m * (k / 256) * 292];
        Quantization.Quantize(GgmlType.Q4_K, wf, w);
        int aRowBytes = k / 256 * 292;
        for (int i = 0; i < m; i++) VecDot.QuantizeActivations(GgmlType.Q4_K, af.AsSpan(i * k, k), act.AsSpan(i * aRowBytes, aRowBytes));
        return (w, act);
    }
}
