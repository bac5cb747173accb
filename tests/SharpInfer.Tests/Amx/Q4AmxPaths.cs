using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Platform.X64;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>Data and runs the Q4_0 and Q4_1 AMX tests share: both paths over the same packed bytes.</summary>
internal static unsafe class Q4AmxPaths
{
    /// <summary>
    /// Weights of <paramref name="type"/> quantized from uniform floats in [low, low + 2) (quantize_row_*_ref) and
    /// activations in its vec_dot type from floats in [−3, 3).
    /// </summary>
    public static (byte[] W, byte[] Act) QuantizedRows(GgmlType type, Random rng, int m, int n, int k, double low)
    {
        var wf = new float[n * k];
        var af = new float[m * k];
        for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 2 + low);
        for (int i = 0; i < af.Length; i++) af[i] = (float)(rng.NextDouble() * 6 - 3);
        long aRowBytes = VecDot.ActivationRowBytes(type, k);
        var w = new byte[n * GgmlTypeInfo.Get(type).RowBytes(k)];
        var act = new byte[m * aRowBytes];
        Quantization.Quantize(type, wf, w);
        for (int i = 0; i < m; i++) VecDot.QuantizeActivations(type, af.AsSpan(i * k, k), act.AsSpan((int)(i * aRowBytes), (int)aRowBytes));
        return (w, act);
    }

    /// <summary>The tile path (interpreted) over all <paramref name="m"/> activation rows, and the gemv row by row (m × n each).</summary>
    public static (float[] Tiles, float[] Gemv) BothPaths(GgmlType type, byte[] packed, byte[] act, int m, int n, int k)
    {
        var tiles = new float[m * n];
        var gemv = new float[m * n];
        new Q4TileMatmul(new InterpretedTileRunner(X64Abi.Native), type).Multiply(act, m, k, packed, n, tiles);
        long aRowBytes = VecDot.ActivationRowBytes(type, k);
        fixed (byte* pw = packed) fixed (byte* pa = act) fixed (float* y = gemv)
            for (int i = 0; i < m; i++) Q4AmxGemv.Multiply(type, pw, k, pa + i * aRowBytes, y + i * n, 0, n);
        return (tiles, gemv);
    }

    /// <summary>One activation row: the gemv, split at row 16 as two threads would, gives the tile path's bits.</summary>
    public static void AssertGemvEqualsTiles(GgmlType type, byte[] packed, byte[] act, int n, int k)
    {
        var tiles = new float[n];
        var vector = new float[n];
        new Q4TileMatmul(new InterpretedTileRunner(X64Abi.Native), type).Multiply(act, 1, k, packed, n, tiles);
        fixed (byte* pw = packed) fixed (byte* pa = act) fixed (float* y = vector)
        {
            Q4AmxGemv.Multiply(type, pw, k, pa, y, 0, 16);
            Q4AmxGemv.Multiply(type, pw, k, pa, y, 16, n);
        }
        Assert.Equal(tiles, vector);
    }
}
