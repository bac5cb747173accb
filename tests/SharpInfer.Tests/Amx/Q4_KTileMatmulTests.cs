using System.Buffers.Binary;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q4_K weights in <see cref="Q4_KAmxLayout"/> × Q8_K activations: the tile program (interpreted) and the gemv against
/// a reference written from the file's block_q4_K / block_q8_K bytes — per super-block the integer sums
/// Σ sc·isum and Σ m·Σa, then C = fma(sumi, d·d_y, C), C = fma(dmin·d_y, −summ, C) — to the bit, and against the
/// project's vec_dot (ggml's order) within float rounding.
/// </summary>
public sealed unsafe class Q4_KTileMatmulTests : KQuantAmxChecks
{
    private protected override GgmlType Type => GgmlType.Q4_K;
    private protected override double WeightLow => -0.8;
    private protected override int StepElements => 32;
    private protected override int TileBytes => Q4_KAmxLayout.TileBytes;
    private protected override byte[] Pack(byte[] rows, int n, int k) => Q4_KAmxLayout.Pack(rows, n, k);
    private protected override long PackedBytes(int n, int k) => Q4_KAmxLayout.PackedBytes(n, k);
    private protected override void TileMultiply(InterpretedTileRunner runner, byte[] act, int m, int k, byte[] packed, int n, float[] c) =>
        new Q4_KTileMatmul(runner).Multiply(act, m, k, packed, n, c, 0, n);
    private protected override void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        Q4_KAmxMath.GemvScalar(packed, k, activation, y, r0, r1);
    private protected override void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1) =>
        Q4_KAmxMath.GemvAvx512(packed, k, activation, y, r0, r1);
    private protected override void ApplyScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        Q4_KAmxMath.ApplyTileSumsScalar(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);
    private protected override void ApplyAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols, float[] c) =>
        Q4_KAmxMath.ApplyTileSumsAvx512(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, cols);

    /// <summary>Per super-block, integer sums over its sub-blocks then two fused adds, from the file's bytes; also Σ|terms|.</summary>
    private protected override (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k)
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
}
