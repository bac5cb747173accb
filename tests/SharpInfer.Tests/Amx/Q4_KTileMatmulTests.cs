using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q4_K weights in <see cref="Q4_KAmxLayout"/> × Q8_K activations: the tile program (interpreted) and the gemv against
/// a reference written from the file's block_q4_K / block_q8_K bytes — per super-block the integer sums
/// Σ sc·isum and Σ m·Σa, then C = fma(sumi, d·d_y, C), C = fma(dmin·d_y, −summ, C) — to the bit, and against the
/// project's vec_dot (ggml's order) within float rounding.
/// </summary>
public sealed class Q4_KTileMatmulTests : KMinsAmxChecks
{
    private protected override GgmlType Type => GgmlType.Q4_K;
    private protected override double WeightLow => -0.8;
    private protected override KMinsAmxMath.Layout Layout => KMinsAmxMath.Layout.Q4_K;
    private protected override byte[] Pack(byte[] rows, int n, int k) => Q4_KAmxLayout.Pack(rows, n, k);
    private protected override long PackedBytes(int n, int k) => Q4_KAmxLayout.PackedBytes(n, k);
    private protected override (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k) =>
        ReferenceWithMins(wRow, aRow, k, 144, static (b, j, e) => (b[16 + 32 * (j / 2) + e] >> (4 * (j % 2))) & 0xF);
}
