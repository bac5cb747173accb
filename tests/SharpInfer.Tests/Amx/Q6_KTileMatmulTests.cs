using System.Buffers.Binary;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q6_K weights in <see cref="Q6_KAmxLayout"/> × Q8_K activations: the tile program (interpreted, K steps of 16) and
/// the gemv against a reference written from the file's block_q6_K / block_q8_K bytes — per super-block the integer
/// sum Σ sc·Σ (q − 32)·a, then C = fma(sumi, d·d_y, C) — to the bit, and against the project's vec_dot within rounding.
/// </summary>
public sealed unsafe class Q6_KTileMatmulTests : KQuantAmxChecks
{
    private protected override GgmlType Type => GgmlType.Q6_K;
    private protected override double WeightLow => -1.0;
    private protected override int StepElements => 16;
    private protected override int TileBytes => Q6_KAmxLayout.TileBytes;
    private protected override byte[] Pack(byte[] rows, int n, int k) => Q6_KAmxLayout.Pack(rows, n, k);
    private protected override long PackedBytes(int n, int k) => Q6_KAmxLayout.PackedBytes(n, k);
    private protected override void TileMultiply(InterpretedTileRunner runner, byte[] act, int m, int k, byte[] packed, int n, float[] c) =>
        new KQuantTileMatmul(runner, GgmlType.Q6_K).Multiply(act, m, k, packed, n, c, 0, n);
    private protected override void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        Q6_KAmxMath.GemvScalar(packed, k, activation, y, r0, r1);
    private protected override void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        Q6_KAmxMath.GemvAvx512(packed, k, activation, y, r0, r1);
    private protected override void ApplyScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        Q6_KAmxMath.ApplyTileSumsScalar(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
    private protected override void ApplyAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        Q6_KAmxMath.ApplyTileSumsAvx512(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);

    /// <summary>Per super-block the integer sum over its sixteen sub-blocks, then one fused add, from the file's bytes; also Σ|sub-block terms|.</summary>
    private protected override (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k)
    {
        float acc = 0f;
        double magnitude = 0;
        var q = new int[256];
        for (int s = 0; s < k / 256; s++)
        {
            var wb = wRow.Slice(s * 210, 210);
            var ab = aRow.Slice(s * 292, 292);
            // ggml's block_q6_K: per 128-value half, ql byte l holds elements l (low) and l+64 (high), byte l+32 holds
            // l+32 and l+96; qh byte l their high 2 bits at shifts 0, 2, 4, 6
            for (int half = 0; half < 2; half++)
                for (int l = 0; l < 32; l++)
                {
                    int ql0 = wb[64 * half + l], ql1 = wb[64 * half + l + 32], qh = wb[128 + 32 * half + l];
                    q[128 * half + l] = ((ql0 & 0xF) | ((qh & 3) << 4)) - 32;
                    q[128 * half + l + 32] = ((ql1 & 0xF) | (((qh >> 2) & 3) << 4)) - 32;
                    q[128 * half + l + 64] = ((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32;
                    q[128 * half + l + 96] = ((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32;
                }
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(wb[208..]);
            float dy = BinaryPrimitives.ReadSingleLittleEndian(ab);
            int sumi = 0;
            for (int j = 0; j < 16; j++)
            {
                int isum = 0;
                for (int e = 0; e < 16; e++) isum += q[16 * j + e] * (sbyte)ab[4 + 16 * j + e];
                sumi += (sbyte)wb[192 + j] * isum;
                // vec_dot keeps its lanes apart until the end, so cancellation between sub-blocks counts in its rounding
                magnitude += Math.Abs((double)(sbyte)wb[192 + j] * isum * d * dy);
            }
            acc = MathF.FusedMultiplyAdd(sumi, d * dy, acc);
        }
        return (acc, magnitude);
    }
}
