using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Q6_K weights in <see cref="Q6_KAmxLayout"/> × Q8_K activations (K steps of 16): see <see cref="KQuantAmxChecks"/>. The
/// reference decodes ggml's block_q6_K (per 128-value half, ql byte l holds elements l and l+64, byte l+32 holds l+32 and
/// l+96; qh byte l their high 2 bits at shifts 0, 2, 4, 6; value q − 32) and its signed 16-value scales.
/// </summary>
public sealed class Q6_KTileMatmulTests : KScalesAmxChecks
{
    private protected override GgmlType Type => GgmlType.Q6_K;
    private protected override double WeightLow => -1.0;
    private protected override KScalesAmxMath.Layout Layout => KScalesAmxMath.Layout.Q6_K;
    private protected override byte[] Pack(byte[] rows, int n, int k) => Q6_KAmxLayout.Pack(rows, n, k);
    private protected override long PackedBytes(int n, int k) => Q6_KAmxLayout.PackedBytes(n, k);
    private protected override (float Value, double Magnitude) Reference(ReadOnlySpan<byte> wRow, ReadOnlySpan<byte> aRow, int k) =>
        ReferenceScalesOnly(wRow, aRow, k, 210, 208, 16, static (b, j) => (sbyte)b[192 + j], static (b, j, e) =>
        {
            int g = 16 * j + e, half = g / 128, l = g % 128, group = l / 32, ll = l % 32;
            int ql = b[64 * half + ll + 32 * (group % 2)], qh = b[128 + 32 * half + ll];
            return ((group < 2 ? ql & 0xF : ql >> 4) | (((qh >> (2 * group)) & 3) << 4)) - 32;
        });
}
