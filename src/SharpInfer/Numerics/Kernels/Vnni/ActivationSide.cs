namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// Per-block facts about a Q8_0 activation row that the VNNI kernels would otherwise recompute for every weight row:
/// VPDPBUSD multiplies unsigned by signed bytes, so a weight value w is fed as u = w + c (c = 128 for Q8_0, 8 for the
/// nibbles of Q4_0), and c·Σy is subtracted again. Record per block (64 bytes): int32 lanes k = 0..7 holding
/// −c·(y[4k] + … + y[4k+3]) (the same lanes VPDPBUSD fills, so the kernel starts each block's sum from them), then the
/// block's scale d as a float.
/// </summary>
internal static unsafe class ActivationSide
{
    public const int RecordBytes = 64, ScaleOffset = 32;

    public static long Bytes(int rows, int rowLength) => (long)rows * (rowLength / 32) * RecordBytes;

    /// <summary>Fills <paramref name="side"/> (<see cref="Bytes"/> long) for <paramref name="rows"/> Q8_0 activation rows.</summary>
    public static void Compute(byte* activations, long activationStride, int rows, int rowLength, int offset, byte* side)
    {
        int nb = rowLength / 32;
        for (int r = 0; r < rows; r++)
        {
            byte* y = activations + r * activationStride;
            byte* s = side + (long)r * nb * RecordBytes;
            for (int b = 0; b < nb; b++, y += 34, s += RecordBytes)
            {
                sbyte* q = (sbyte*)(y + 2);
                int* lanes = (int*)s;
                for (int k = 0; k < 8; k++)
                    lanes[k] = -offset * (q[4 * k] + q[4 * k + 1] + q[4 * k + 2] + q[4 * k + 3]);
                *(float*)(s + ScaleOffset) = (float)BitConverter.UInt16BitsToHalf(*(ushort*)y);
            }
        }
    }
}
