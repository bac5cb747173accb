using System.Buffers.Binary;

namespace SharpInfer.Numerics.Quants;

/// <summary>
/// Q8_K: super-blocks of 256 values, 292 bytes: <c>d</c> (f32), <c>qs[256]</c> (signed bytes),
/// <c>bsums[16]</c> (int16 sums of each 16 quants). Value = q·d. The activation type of K-quant dots.
/// </summary>
internal static class Q8_KFormat
{
    public const int BlockSize = 256, BlockBytes = 292;
    public const int OffQs = 4, OffBsums = 260;

    /// <summary>The float scale d of super-block <paramref name="superBlock"/> of the Q8_K row at <paramref name="row"/>.</summary>
    public static unsafe float Scale(byte* row, int superBlock) => *(float*)(row + (long)superBlock * BlockBytes);

    /// <summary>
    /// Σ q over sub-block <paramref name="j"/> of <paramref name="elements"/> values (a multiple of 16) of super-block
    /// <paramref name="superBlock"/>, from the block's bsums (one per 16 values).
    /// </summary>
    public static unsafe int SubBlockSum(byte* row, int superBlock, int j, int elements)
    {
        short* bsums = (short*)(row + (long)superBlock * BlockBytes + OffBsums) + j * (elements / 16);
        int sum = 0;
        for (int i = 0; i < elements / 16; i++) sum += bsums[i];
        return sum;
    }

    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_K, dst.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var b = src.Slice(i * BlockBytes, BlockBytes);
            float d = BinaryPrimitives.ReadSingleLittleEndian(b);
            var y = dst.Slice(i * BlockSize, BlockSize);
            for (int j = 0; j < BlockSize; ++j) y[j] = d * (sbyte)b[OffQs + j];
        }
    }

    /// <summary><c>quantize_row_q8_K_ref</c>: iscale = −127/max (max = the value of largest magnitude), q = min(127, round(iscale·x)).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int nb = QuantMath.BlockCount(GgmlType.Q8_K, src.Length, BlockSize);
        for (int i = 0; i < nb; i++)
        {
            var x = src.Slice(i * BlockSize, BlockSize);
            var b = dst.Slice(i * BlockBytes, BlockBytes);
            float max = 0, amax = 0;
            for (int j = 0; j < BlockSize; ++j)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax) { amax = ax; max = x[j]; }
            }
            if (amax == 0)
            {
                // ggml leaves bsums untouched here; we zero the whole block so output is deterministic.
                b.Clear();
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < BlockSize; ++j)
            {
                int v = QuantMath.NearestInt(iscale * x[j]);
                b[OffQs + j] = (byte)(sbyte)Math.Min(127, v);
            }
            for (int j = 0; j < 16; ++j)
            {
                int sum = 0;
                for (int ii = 0; ii < 16; ++ii) sum += (sbyte)b[OffQs + j * 16 + ii];
                BinaryPrimitives.WriteInt16LittleEndian(b.Slice(OffBsums + 2 * j, 2), (short)sum);
            }
            BinaryPrimitives.WriteSingleLittleEndian(b, 1 / iscale);
        }
    }
}
