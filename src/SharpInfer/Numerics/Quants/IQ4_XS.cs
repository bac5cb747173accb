using System.Buffers.Binary;

namespace SharpInfer.Numerics.Quants;

/// <summary>
/// IQ4_XS: super-blocks of 256 values, 136 bytes: <c>d</c> (f16), <c>scales_h</c> (uint16 LE: 2 high
/// bits per 32-value block), <c>scales_l[4]</c> (4 low bits per block, block 2k low nibble, 2k+1 high),
/// <c>qs[128]</c> (per 32-value block: 16 bytes, low nibble = element j, high = j+16, indices into
/// <see cref="IQ4_NLFormat.Values"/>). Value = d·(scale − 32)·table[q].
/// </summary>
internal static class IQ4_XSFormat
{
    public const int BlockSize = 256, BlockBytes = 136;
    private const int OffScalesH = 2, OffScalesL = 4, OffQs = 8;

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.IQ4_XS, dst.Length, BlockSize);
        var values = IQ4_NLFormat.Values;
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16.Read(b, 0);
            int scalesH = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(OffScalesH, 2));
            var y = dst.Slice(i * BlockSize, BlockSize);
            int qs = OffQs, yo = 0;
            for (int ib = 0; ib < 8; ++ib)
            {
                int ls = ((b[OffScalesL + ib / 2] >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; ++j)
                {
                    y[yo + j] = dl * values[b[qs + j] & 0xf];
                    y[yo + j + 16] = dl * values[b[qs + j] >> 4];
                }
                yo += 32;
                qs += 16;
            }
        }
    }

    /// <summary><c>quantize_iq4_xs</c> with no importance matrix: <c>quantize_row_iq4_nl_impl(256, 32, …, qw = NULL, ntry = 7)</c>.</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.IQ4_XS, src.Length, BlockSize);
        Span<byte> L = stackalloc byte[BlockSize];
        Span<float> weight = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        for (int i = 0; i < nb; i++)
        {
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            IQ4Impl.QuantizeSuperBlock(BlockSize, src.Slice(i * BlockSize, BlockSize), b, 0, b.Slice(OffQs, 128),
                b.Slice(OffScalesH, 2), b.Slice(OffScalesL, 4), scales, weight, L, 7);
        }
    }
}
