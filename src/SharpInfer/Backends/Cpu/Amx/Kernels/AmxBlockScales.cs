using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// ggml's acc_C for the 32-element block types (Q8_0, Q4_0, Q4_1): turns the tile program's
/// per-block int32 sums into fp32 outputs, block by block starting from 0:
/// <c>C = fma(isum, d_w·d_a, C)</c>, and for Q4_1 (weight mins, Q8_1 activations) then
/// <c>C = fma(m_w, s_a, C)</c>. The AVX-512 path does per lane what the scalar twin does per element
/// (same products, same fused adds, blocks in the same order), so both give the same bits; it walks the
/// sums block by block (sequentially) instead of element by element (4 KB strides), and converts each
/// block's 16 weight scales once rather than once per activation row. On AMX hardware this step,
/// scalar, took most of the time of a prompt.
/// </summary>
internal static unsafe class AmxBlockScales
{
    /// <summary>A <c>minsOffset</c> for types without mins.</summary>
    public const int NoMins = -1;

    /// <summary>
    /// <paramref name="aRows"/>: the block's first activation row (block_q8_0 / block_q8_1: fp16 d at 0,
    /// fp16 s at 2 for Q8_1), rows <paramref name="rowBytes"/> apart, blocks <paramref name="actBlockBytes"/>.
    /// <paramref name="panels"/>: the packed weights of the block's first 16-row panel, whose tiles
    /// (<paramref name="tileBytes"/> each, panels <paramref name="panelBytes"/> apart) carry the 16 fp16
    /// scales at <paramref name="scalesOffset"/> and the 16 fp16 mins at <paramref name="minsOffset"/>.
    /// <paramref name="sums"/>: 32×32 int32 per block (the program's per-step output).
    /// </summary>
    public static void Apply(byte* aRows, long rowBytes, int actBlockBytes, byte* panels, long panelBytes, int tileBytes,
        int scalesOffset, int minsOffset, int* sums, int kb, int rows, int cols, Span<float> c, int ldc)
    {
        if (Avx512F.IsSupported && cols % 16 == 0)
            ApplyAvx512(aRows, rowBytes, actBlockBytes, panels, panelBytes, tileBytes, scalesOffset, minsOffset, sums, kb, rows, cols, c, ldc);
        else
            ApplyScalar(aRows, rowBytes, actBlockBytes, panels, panelBytes, tileBytes, scalesOffset, minsOffset, sums, kb, rows, cols, c, ldc);
    }

    internal static void ApplyAvx512(byte* aRows, long rowBytes, int actBlockBytes, byte* panels, long panelBytes, int tileBytes,
        int scalesOffset, int minsOffset, int* sums, int kb, int rows, int cols, Span<float> c, int ldc)
    {
        if (cols % 16 != 0) throw new ArgumentException($"cols {cols}: the vector path takes whole 16-column panels");
        if (c.Length < (rows - 1) * ldc + cols) throw new ArgumentException("output too small");
        fixed (float* c0 = c)
        {
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j += 16) Vector512<float>.Zero.Store(c0 + i * ldc + j);
            for (int b = 0; b < kb; b++)
            {
                int* blockSums = sums + b * 1024;
                for (int j = 0; j < cols; j += 16)
                {
                    byte* tile = panels + (j / 16) * panelBytes + (long)b * tileBytes;
                    var dw = Simd512.LoadHalves(tile + scalesOffset);
                    var mw = minsOffset >= 0 ? Simd512.LoadHalves(tile + minsOffset) : default;
                    for (int i = 0; i < rows; i++)
                    {
                        byte* aBlock = aRows + i * rowBytes + (long)b * actBlockBytes;
                        float* ci = c0 + i * ldc + j;
                        var isum = Avx512F.ConvertToVector512Single(Vector512.Load(blockSums + i * 32 + j));
                        var acc = Avx512F.FusedMultiplyAdd(isum, dw * Vector512.Create((float)*(Half*)aBlock), Vector512.Load(ci));
                        if (minsOffset >= 0)
                            acc = Avx512F.FusedMultiplyAdd(mw, Vector512.Create((float)*(Half*)(aBlock + 2)), acc);
                        acc.Store(ci);
                    }
                }
            }
        }
    }

    internal static void ApplyScalar(byte* aRows, long rowBytes, int actBlockBytes, byte* panels, long panelBytes, int tileBytes,
        int scalesOffset, int minsOffset, int* sums, int kb, int rows, int cols, Span<float> c, int ldc)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                byte* panel = panels + (j / 16) * panelBytes;
                byte* aRow = aRows + i * rowBytes;
                float acc = 0f;
                for (int b = 0; b < kb; b++)
                {
                    byte* tile = panel + (long)b * tileBytes;
                    byte* aBlock = aRow + (long)b * actBlockBytes;
                    float dw = (float)*(Half*)(tile + scalesOffset + 2 * (j % 16));
                    float da = (float)*(Half*)aBlock;
                    acc = MathF.FusedMultiplyAdd(sums[b * 1024 + i * 32 + j], dw * da, acc);
                    if (minsOffset >= 0)
                        acc = MathF.FusedMultiplyAdd((float)*(Half*)(tile + minsOffset + 2 * (j % 16)), (float)*(Half*)(aBlock + 2), acc);
                }
                c[i * ldc + j] = acc;
            }
    }
}
