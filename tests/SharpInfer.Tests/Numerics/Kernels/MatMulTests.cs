using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Numerics.Threading;

namespace SharpInfer.Tests.Numerics.Kernels;

public unsafe class MatMulTests
{
    [Theory]
    [InlineData(GgmlType.Q4_0, 256, 37, 5)]
    [InlineData(GgmlType.Q8_0, 96, 20, 1)]
    [InlineData(GgmlType.Q4_K, 512, 33, 6)]
    [InlineData(GgmlType.Q4_K, 768, 40, 9)]
    [InlineData(GgmlType.Q8_0, 544, 21, 8)]
    [InlineData(GgmlType.Q4_0, 544, 18, 7)]
    [InlineData(GgmlType.Q6_K, 256, 17, 2)]
    [InlineData(GgmlType.Q6_K, 512, 19, 9)]
    [InlineData(GgmlType.Q6_K, 768, 36, 8)]
    [InlineData(GgmlType.F16, 70, 19, 3)]
    [InlineData(GgmlType.IQ4_NL, 64, 3, 9)]
    [InlineData(GgmlType.Q5_K, 512, 18, 9)]
    [InlineData(GgmlType.Q5_0, 96, 9, 8)]
    public void MatchesPerRowVecDotForAnyThreadCount(GgmlType type, int rowLength, int rows, int activationRows)
    {
        var info = GgmlTypeInfo.Get(type);
        int rowBytes = (int)info.RowBytes(rowLength);
        var w = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++)
            Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(rowLength, seed: r, scale: 0.3f), w.AsSpan(r * rowBytes, rowBytes));
        var x = new float[rowLength * activationRows];
        for (int j = 0; j < activationRows; j++)
            QuantizationRoundTripTests.RandomRow(rowLength, seed: 1000 + j).CopyTo(x, j * rowLength);
        int actBytes = VecDot.ActivationRowBytes(type, rowLength);
        var a = new byte[actBytes * activationRows];
        fixed (float* px = x)
        fixed (byte* pa = a)
            MatMul.QuantizeActivations(type, px, activationRows, rowLength, pa);

        var expected = new float[rows * activationRows];
        for (int j = 0; j < activationRows; j++)
            for (int r = 0; r < rows; r++)
                expected[j * rows + r] = VecDot.Dot(type, w.AsSpan(r * rowBytes, rowBytes), a.AsSpan(j * actBytes, actBytes), rowLength);

        // and the scalar reference agrees up to float summation order (see SimdDotTests)
        for (int j = 0; j < activationRows; j++)
            for (int r = 0; r < rows; r++)
            {
                var wRow = w.AsSpan(r * rowBytes, rowBytes).ToArray();
                var aRow = a.AsSpan(j * actBytes, actBytes).ToArray();
                float scalar = VecDot.DotWith(KernelIsa.Scalar, type, wRow, aRow, rowLength);
                double bound = 2 * (rowLength / 32 + 8) * Math.Pow(2, -24) * SimdDotTests.AbsSum(type, wRow, aRow, rowLength);
                Assert.True(Math.Abs(scalar - expected[j * rows + r]) <= bound, $"row {r} act {j}: {expected[j * rows + r]} vs scalar {scalar}");
            }

        foreach (int threads in new[] { 0, 1, 2, 3, 4 })
        {
            using var pool = threads == 0 ? null : new WorkerPool(threads);
            var output = new float[rows * activationRows];
            fixed (byte* pw = w)
            fixed (byte* pa = a)
            fixed (float* po = output)
                MatMul.Multiply(pool, type, pw, rows, rowLength, pa, activationRows, po);
            Assert.Equal(expected, output);
        }
    }

    [Fact]
    public void MultiplyAndActivationQuantizationDoNotAllocate()
    {
        const int rowLength = 512, rows = 64, acts = 5;
        var type = GgmlType.Q4_K;
        var w = new byte[GgmlTypeInfo.Get(type).RowBytes(rowLength) * rows];
        for (int r = 0; r < rows; r++)
            Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(rowLength, seed: r), w.AsSpan(r * (w.Length / rows), w.Length / rows));
        var x = QuantizationRoundTripTests.RandomRow(rowLength * acts, seed: 1);
        var a = new byte[VecDot.ActivationRowBytes(type, rowLength) * acts];
        var o = new float[rows * acts];
        using var pool = new WorkerPool(2);
        fixed (byte* pw = w)
        fixed (byte* pa = a)
        fixed (float* px = x)
        fixed (float* po = o)
        {
            for (int i = 0; i < 20; i++)
            {
                MatMul.QuantizeActivations(type, px, acts, rowLength, pa);
                MatMul.Multiply(pool, type, pw, rows, rowLength, pa, acts, po);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                MatMul.QuantizeActivations(type, px, acts, rowLength, pa);
                MatMul.Multiply(pool, type, pw, rows, rowLength, pa, acts, po);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    /// <summary>
    /// The prepared row pairs of the K-quant prompt tiles take one 16-row tile's worth of scratch per thread, whatever the
    /// matrix: here 512 rows of 2048 Q4_K values on the calling thread (no pool), where preparing the whole range at once
    /// would allocate 256 pairs × 8 super-blocks × 112 bytes (229 KB) and one tile takes 8 pairs (7 KB).
    /// </summary>
    [Fact]
    public void PreparedTileScratchIsOneTileWhateverTheMatrix()
    {
        const int rowLength = 2048, acts = 4;
        var type = GgmlType.Q4_K;
        long allocated = 0;
        Product(rows: 16); // the kernels' static tables are built here, on this thread
        var thread = new Thread(() => allocated = Product(rows: 512));
        thread.Start();
        thread.Join();
        Assert.True(allocated < 32 * 1024, $"{allocated} bytes allocated for one product's prepared pairs");

        // one product on the calling thread, returning what it allocated (a fresh thread: its scratch is allocated here)
        long Product(int rows)
        {
            int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(rowLength);
            var w = new byte[rowBytes * rows];
            var row = new byte[rowBytes];
            Quantization.Quantize(type, QuantizationRoundTripTests.RandomRow(rowLength, seed: 3), row);
            for (int r = 0; r < rows; r++) row.CopyTo(w, r * rowBytes);
            var x = QuantizationRoundTripTests.RandomRow(rowLength * acts, seed: 4);
            var a = new byte[VecDot.ActivationRowBytes(type, rowLength) * acts];
            var o = new float[rows * acts];
            fixed (byte* pw = w) fixed (byte* pa = a) fixed (float* px = x) fixed (float* po = o)
            {
                MatMul.QuantizeActivations(type, px, acts, rowLength, pa);
                long before = GC.GetAllocatedBytesForCurrentThread();
                MatMul.Multiply(null, type, pw, rows, rowLength, pa, acts, po);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
    }
}
