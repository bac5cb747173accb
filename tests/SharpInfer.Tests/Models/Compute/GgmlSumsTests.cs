using SharpInfer.Models.Compute;

namespace SharpInfer.Tests.Models.Compute;

/// <summary>
/// GgmlSums against a plain scalar transcription of the ggml / llamafile loops (16 named lanes,
/// the reduce tree written out), bit for bit.
/// </summary>
public sealed unsafe class GgmlSumsTests
{
    private static float Reduce16(float[] v)
    {
        // _mm512_reduce_add_ps: 256-bit halves, 128-bit halves, (0+2), (1+3), then the two
        var t = new float[8];
        for (var i = 0; i < 8; i++) t[i] = v[i + 8] + v[i];
        var u = new float[4];
        for (var i = 0; i < 4; i++) u[i] = t[i + 4] + t[i];
        return (u[0] + u[2]) + (u[1] + u[3]);
    }

    /// <summary>ggml_vec_dot_f16 / _f32 with GGML_*_STEP 64 and GGML_*_EPR 16 as in vec.cpp.</summary>
    private static float VecDotReference(float[] x, float[] y, int n, bool doubleLeftovers)
    {
        var np = n & ~63;
        var acc = new float[4][];
        for (var a = 0; a < 4; a++) acc[a] = new float[16];
        for (var i = 0; i < np; i += 64)
        for (var a = 0; a < 4; a++)
        for (var l = 0; l < 16; l++)
            acc[a][l] = MathF.FusedMultiplyAdd(x[i + 16 * a + l], y[i + 16 * a + l], acc[a][l]);
        for (var l = 0; l < 16; l++)
        {
            acc[0][l] += acc[2][l];
            acc[1][l] += acc[3][l];
        }
        for (var l = 0; l < 16; l++) acc[0][l] += acc[1][l];
        if (doubleLeftovers)
        {
            double sum = Reduce16(acc[0]);
            for (var i = np; i < n; i++) sum += (double)(x[i] * y[i]);
            return (float)sum;
        }
        var sumf = Reduce16(acc[0]);
        for (var i = np; i < n; i++) sumf = MathF.FusedMultiplyAdd(x[i], y[i], sumf);
        return sumf;
    }

    private static float TinyBlasReference(float[] x, float[] y, int k)
    {
        var acc = new float[16];
        for (var l = 0; l < k; l += 16)
        for (var lane = 0; lane < 16; lane++)
            acc[lane] = MathF.FusedMultiplyAdd(x[l + lane], y[l + lane], acc[lane]);
        return Reduce16(acc);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(172)]
    [InlineData(256)]
    [InlineData(1000)]
    public void F32OrdersMatchTheirScalarTranscription(int n)
    {
        var rng = new Random(n);
        var x = new float[n];
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1) * (1 << rng.Next(8));
            y[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        fixed (float* xp = x, yp = y)
        {
            Assert.Equal(VecDotReference(x, y, n, doubleLeftovers: false), GgmlSums.F32VecDot(xp, yp, n));
            var k = n & ~15;
            Assert.Equal(TinyBlasReference(x, y, k), GgmlSums.F32TinyBlas(xp, yp, k));
        }
    }

    /// <summary>Attention's dot products four rows at a time (<see cref="GgmlSums.F32TinyBlasRows"/>) give each row's <see cref="GgmlSums.F32TinyBlas"/> bits.</summary>
    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 7)]
    [InlineData(128, 13)]
    [InlineData(16, 32)]
    [InlineData(512, 64)]
    public void F32TinyBlasRowsGivesEachRowsBits(int k, int count)
    {
        var rng = new Random(k * 100 + count);
        int stride = k + 16;
        var x = new float[stride * count];
        var y = new float[k];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (1 << rng.Next(12));
        for (var i = 0; i < k; i++) y[i] = (float)(rng.NextDouble() * 2 - 1);
        var rows = new float[count + 1];
        rows[count] = 12345f; // nothing past count is written
        fixed (float* xp = x, yp = y, dp = rows)
        {
            GgmlSums.F32TinyBlasRows(xp, stride, yp, k, count, dp);
            for (var j = 0; j < count; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(GgmlSums.F32TinyBlas(xp + j * stride, yp, k)), BitConverter.SingleToInt32Bits(rows[j]));
        }
        Assert.Equal(12345f, rows[count]);
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(13, 256)]
    [InlineData(64, 256)]
    [InlineData(100, 256)]
    [InlineData(300, 512)]
    [InlineData(90, 100)]
    public void F16OrdersMatchTheirScalarTranscriptionWithZerosPastTheValidCells(int nValid, int nRow)
    {
        var rng = new Random(nValid * 1000 + nRow);
        var length = Math.Max(nRow, (nValid + 15) & ~15);
        var xh = new ushort[length];
        var yh = new ushort[length];
        var x = new float[length];
        var y = new float[length];
        for (var i = 0; i < length; i++)
        {
            xh[i] = FloatFormats.FloatToHalf((float)(rng.NextDouble() * 2 - 1) * 4);
            // past nValid the probabilities are exact zeros in ggml; the V cells there hold anything
            yh[i] = i < nValid ? FloatFormats.FloatToHalf((float)rng.NextDouble()) : (ushort)0;
            x[i] = FloatFormats.HalfToFloat(xh[i]);
            y[i] = FloatFormats.HalfToFloat(yh[i]);
        }
        fixed (ushort* xp = xh, yp = yh)
        {
            Assert.Equal(VecDotReference(x, y, nRow, doubleLeftovers: true), GgmlSums.F16VecDot(xp, yp, nValid, nRow));
            var k = (nValid + 15) & ~15;
            Assert.Equal(TinyBlasReference(x, y, k), GgmlSums.F16TinyBlas(xp, yp, nValid));
        }
        // the same sum on floats zero-padded to a whole 64-block (the padded block runs as a vector block)
        var padded = Math.Max(length, (nValid + 63) & ~63);
        var xz = new float[padded];
        var yz = new float[padded];
        Array.Copy(x, xz, nValid);
        Array.Copy(y, yz, nValid);
        fixed (float* xp = xz, yp = yz)
            Assert.Equal(VecDotReference(x, y, nRow, doubleLeftovers: true), GgmlSums.F16VecDotOnZeroPaddedFloats(xp, yp, nValid, nRow));
    }

    [Theory]
    [InlineData(1, 512, 256)]
    [InlineData(21, 512, 256)]
    [InlineData(256, 4096, 256)]
    [InlineData(257, 4096, 512)]
    [InlineData(21, 100, 100)]
    public void KvRowLengthIsLlamaCppsNKvPaddedTo256WithinTheCache(int used, int size, int expected) =>
        Assert.Equal(expected, Attention.KvRowLength(used, size));
}
