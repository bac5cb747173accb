using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// IQ4_XS weights in <see cref="IQ4_XSAmxLayout"/> × Q8_K activations: see <see cref="KQuantAmxChecks"/>. The reference
/// decodes ggml's block_iq4_xs (fp16 d, scales_h: 2 high bits per 32-value block, scales_l: 4 low bits, block 2k low
/// nibble and 2k+1 high; qs: per block 16 bytes, low nibble element e, high e+16, indices into kvalues_iq4nl; scale ls − 32).
/// </summary>
public sealed class IQ4_XSTileMatmulTests : KScalesAmxChecks
{
    private protected override GgmlType Type => GgmlType.IQ4_XS;
    private protected override double WeightLow => -1.0;
    private protected override KScalesAmxMath.Layout Layout => KScalesAmxMath.Layout.IQ4_XS;
    private protected override byte[] Pack(byte[] rows, int n, int k) => IQ4_XSAmxLayout.Pack(rows, n, k);
    private protected override long PackedBytes(int n, int k) => IQ4_XSAmxLayout.PackedBytes(n, k);
    private protected override (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k) =>
        ReferenceScalesOnly(wRow, aRow, k, 136, 0, 8,
            static (b, j) => (((b[4 + j / 2] >> (4 * (j % 2))) & 0xF) | (((b[2] | (b[3] << 8)) >> (2 * j) & 3) << 4)) - 32,
            static (b, j, e) => IQ4_NLFormat.Values[e < 16 ? b[8 + 16 * j + e] & 0xF : b[8 + 16 * j + e - 16] >> 4]);
}
