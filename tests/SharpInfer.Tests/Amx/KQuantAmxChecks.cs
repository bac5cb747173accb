using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Platform.X64;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// The checks every K-quant AMX kernel set gets (Q4_K, Q6_K): on random weights and Q8_K activations from the project's
/// quantizers, the tile program (interpreted), the scalar gemv and the AVX-512 gemv each give the bits of a reference
/// written from the file's bytes, and stay within float rounding of the project's vec_dot (ggml's order); the AVX-512
/// scale step equals its scalar twin. A derived class names its type's layout, kernels and reference.
/// </summary>
public abstract unsafe class KQuantAmxChecks
{
    private protected const int ActivationBlockBytes = 292;

    private protected abstract GgmlType Type { get; }
    /// <summary>Lower end of the random weights (uniform over [low, low + 2)).</summary>
    private protected abstract double WeightLow { get; }
    /// <summary>Values per K step of the tile program (the type's scale granularity).</summary>
    private protected abstract int StepElements { get; }
    private protected abstract byte[] Pack(byte[] rows, int n, int k);
    private protected abstract long PackedBytes(int n, int k);
    /// <summary>The tile path: every K-quant and IQ4_XS goes through <see cref="KQuantTileMatmul"/>.</summary>
    private protected void TileMultiply(InterpretedTileRunner runner, byte[] act, int m, int k, byte[] packed, int n, float[] c) =>
        new KQuantTileMatmul(runner, Type).Multiply(act, m, k, packed, n, c, 0, n);
    private protected abstract void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1);
    private protected abstract void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1);
    private protected abstract void ApplyScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c);
    private protected abstract void ApplyAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c);
    /// <summary>One weight row · one activation row in the kernels' order, and Σ|terms| for the vec_dot bound.</summary>
    private protected abstract (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k);

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
        var (w, act) = RandomRows(new Random(m * 131 + n * 7 + k + (int)Type), m, n, k);
        var packed = Pack(w, n, k);
        Assert.Equal(PackedBytes(n, k), packed.Length);
        var tiles = new float[m * n];
        Array.Fill(tiles, float.NaN);
        var runner = new InterpretedTileRunner(X64Abi.Native);
        TileMultiply(runner, act, m, k, packed, n, tiles);
        Assert.True(runner.Calls > 0);
        Assert.False(runner.AnyThreadConfigured);

        int wRowBytes = (int)GgmlTypeInfo.Get(Type).RowBytes(k), aRowBytes = k / 256 * ActivationBlockBytes;
        var scalar = new float[n];
        var vector = new float[n];
        bool avx512 = System.Runtime.Intrinsics.X86.Avx512BW.IsSupported;
        for (int i = 0; i < m; i++)
        {
            fixed (byte* pw = packed) fixed (byte* pa = act) fixed (float* ys = scalar) fixed (float* yv = vector)
            {
                GemvScalar(pw, k, pa + i * aRowBytes, ys, 0, n);
                if (avx512) GemvAvx512(pw, k, pa + i * aRowBytes, yv, 0, n);
                else GemvScalar(pw, k, pa + i * aRowBytes, yv, 0, n);
            }
            for (int j = 0; j < n; j++)
            {
                var wRow = w.AsSpan(j * wRowBytes, wRowBytes);
                var aRow = act.AsSpan(i * aRowBytes, aRowBytes);
                var (expected, magnitude) = Reference(wRow, aRow, k);
                AssertBits(expected, tiles[i * n + j], $"tiles ({i},{j})");
                AssertBits(expected, scalar[j], $"gemv ({i},{j})");
                AssertBits(expected, vector[j], $"AVX-512 gemv ({i},{j})");
                float ggml = VecDot.Dot(Type, wRow, aRow, k);
                Assert.True(Math.Abs(ggml - expected) <= 1e-5 * magnitude, $"({i},{j}): {expected} vs vec_dot {ggml}");
            }
        }
    }

    [Fact]
    public void ScaleStepVectorEqualsScalar()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            throw new PlatformNotSupportedException("this twin compares the AVX-512 path, and this CPU has no AVX-512F");
        int rows = 19, cols = 32, k = 512, steps = k / StepElements;
        var (w, act) = RandomRows(new Random(8 + (int)Type), rows, cols, k);
        var packed = Pack(w, cols, k);
        var rng = new Random(9);
        var sums = new int[steps * 1024];
        for (int i = 0; i < sums.Length; i++) sums[i] = rng.Next(-30000, 30000);
        long rowBytes = k / 256 * ActivationBlockBytes, panelBytes = PackedBytes(16, k);
        var vector = new float[rows * cols];
        var scalar = new float[rows * cols];
        fixed (byte* pa = act) fixed (byte* pw = packed) fixed (int* ps = sums)
        {
            ApplyAvx512(pa, rowBytes, pw, panelBytes, ps, steps, rows, cols, vector);
            ApplyScalar(pa, rowBytes, pw, panelBytes, ps, steps, rows, cols, scalar);
        }
        Assert.Equal(scalar, vector);
    }

    private (byte[] Weights, byte[] Activations) RandomRows(Random rng, int m, int n, int k)
    {
        var wf = new float[n * k];
        var af = new float[m * k];
        for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 2 + WeightLow);
        for (int i = 0; i < af.Length; i++) af[i] = (float)(rng.NextDouble() * 6 - 3);
        var w = new byte[n * GgmlTypeInfo.Get(Type).RowBytes(k)];
        var act = new byte[m * (k / 256) * ActivationBlockBytes];
        Quantization.Quantize(Type, wf, w);
        int aRowBytes = k / 256 * ActivationBlockBytes;
        for (int i = 0; i < m; i++) VecDot.QuantizeActivations(Type, af.AsSpan(i * k, k), act.AsSpan(i * aRowBytes, aRowBytes));
        return (w, act);
    }

    /// <summary>The quant (0…15 or 0…31) of element <paramref name="e"/> of sub-block <paramref name="j"/> in a super-block's bytes.</summary>
    private protected delegate int QuantOf(ReadOnlySpan<byte> superBlock, int j, int e);

    /// <summary>
    /// Q4_K/Q5_K from the file's bytes (fp16 d, fp16 dmin, 12 scale bytes first): per super-block the integer sums
    /// Σ sc·isum and Σ m·Σa, then C = fma(sumi, d·d_y, C), C = fma(dmin·d_y, −summ, C); also Σ|terms|.
    /// </summary>
    private protected static (float Value, double Magnitude) ReferenceWithMins(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k,
        int superBlockBytes, QuantOf quant)
    {
        float acc = 0f;
        double magnitude = 0;
        for (int s = 0; s < k / 256; s++)
        {
            var wb = wRow.Slice(s * superBlockBytes, superBlockBytes);
            var ab = aRow.Slice(s * ActivationBlockBytes, ActivationBlockBytes);
            float d = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(wb);
            float dmin = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(wb[2..]);
            float dy = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(ab);
            int sumi = 0, summ = 0;
            for (int j = 0; j < 8; j++)
            {
                QuantMath.GetScaleMinK4(j, wb.Slice(4, 12), out byte sc, out byte mn);
                int isum = 0, sa = 0;
                for (int e = 0; e < 32; e++)
                {
                    int a = (sbyte)ab[4 + 32 * j + e];
                    isum += quant(wb, j, e) * a;
                    sa += a;
                }
                Assert.Equal(sa, System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(ab[(260 + 4 * j)..]) +
                                 System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(ab[(262 + 4 * j)..]));
                sumi += sc * isum;
                summ += mn * sa;
            }
            acc = MathF.FusedMultiplyAdd(sumi, d * dy, acc);
            acc = MathF.FusedMultiplyAdd(dmin * dy, -summ, acc);
            magnitude += Math.Abs((double)sumi * d * dy) + Math.Abs((double)dmin * dy * summ);
        }
        return (acc, magnitude);
    }

    /// <summary>The signed scale of sub-block <paramref name="j"/> in a super-block's bytes.</summary>
    private protected delegate int ScaleOf(ReadOnlySpan<byte> superBlock, int j);

    /// <summary>
    /// Q6_K/IQ4_XS from the file's bytes: per super-block the integer sum Σ sc·Σ q·a over its sub-blocks (q the signed
    /// values), then C = fma(sumi, d·d_y, C); also Σ|sub-block terms| (vec_dot keeps lanes apart, so cancellation counts).
    /// </summary>
    private protected static (float Value, double Magnitude) ReferenceScalesOnly(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k,
        int superBlockBytes, int dOffset, int subBlocks, ScaleOf scale, QuantOf quant)
    {
        float acc = 0f;
        double magnitude = 0;
        int elements = 256 / subBlocks;
        for (int s = 0; s < k / 256; s++)
        {
            var wb = wRow.Slice(s * superBlockBytes, superBlockBytes);
            var ab = aRow.Slice(s * ActivationBlockBytes, ActivationBlockBytes);
            float d = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(wb[dOffset..]);
            float dy = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(ab);
            int sumi = 0;
            for (int j = 0; j < subBlocks; j++)
            {
                int isum = 0;
                for (int e = 0; e < elements; e++) isum += quant(wb, j, e) * (sbyte)ab[4 + elements * j + e];
                sumi += scale(wb, j) * isum;
                magnitude += Math.Abs((double)scale(wb, j) * isum * d * dy);
            }
            acc = MathF.FusedMultiplyAdd(sumi, d * dy, acc);
        }
        return (acc, magnitude);
    }

    private static void AssertBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual} vs {expected}");
}

/// <summary>
/// <see cref="KQuantAmxChecks"/> for the K-quants with mins (Q4_K, Q5_K): the tile program through
/// <see cref="KQuantTileMatmul"/>, the gemvs and the scale step of <see cref="KMinsAmxMath"/> with the type's layout.
/// </summary>
public abstract unsafe class KMinsAmxChecks : KQuantAmxChecks
{
    private protected abstract KMinsAmxMath.Layout Layout { get; }
    private protected override int StepElements => 32;
    private protected override void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        KMinsAmxMath.GemvScalar(Layout, packed, k, activation, y, r0, r1);
    private protected override void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        KMinsAmxMath.GemvAvx512(Layout, packed, k, activation, y, r0, r1);
    private protected override void ApplyScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        KMinsAmxMath.ApplyTileSumsScalar(Layout, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
    private protected override void ApplyAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        KMinsAmxMath.ApplyTileSumsAvx512(Layout, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
}

/// <summary>
/// <see cref="KQuantAmxChecks"/> for the types without mins (Q6_K, IQ4_XS): the tile program through
/// <see cref="KQuantTileMatmul"/>, the gemvs and the scale step of <see cref="KScalesAmxMath"/> with the type's layout.
/// </summary>
public abstract unsafe class KScalesAmxChecks : KQuantAmxChecks
{
    private protected abstract KScalesAmxMath.Layout Layout { get; }
    private protected override int StepElements => Layout.SubBlockElements;
    private protected override void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        KScalesAmxMath.GemvScalar(Layout, packed, k, activation, y, r0, r1);
    private protected override void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        KScalesAmxMath.GemvAvx512(Layout, packed, k, activation, y, r0, r1);
    private protected override void ApplyScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        KScalesAmxMath.ApplyTileSumsScalar(Layout, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
    private protected override void ApplyAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        KScalesAmxMath.ApplyTileSumsAvx512(Layout, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
}
