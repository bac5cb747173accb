using SharpInfer.Numerics;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// The CPU_REPACK layout, after ggml's <c>block_q4_0x8</c>: eight consecutive rows are interleaved
/// block by block. One packed block holds the eight rows' fp16 scales, then their quants in 8-byte
/// chunks, chunk c taken from row c % 8 at byte (c / 8) * 8 of that row's block. Q4_0 nibbles are
/// XOR-ed with 0x88 so each nibble reads as a signed 4-bit value (q − 8). Q8_0 uses the same
/// interleave with 32-byte quants (our analogue of ggml's <c>block_q8_0x4</c>, widened to 8 rows).
/// </summary>
public static class RepackLayout
{
    /// <summary>Rows interleaved in one packed block.</summary>
    public const int Rows = 8;

    /// <summary>Bytes per interleaved chunk.</summary>
    public const int Chunk = 8;

    public const int BlockSize = 32;

    /// <summary>Whether a matrix of this type and shape can be repacked.</summary>
    public static bool CanPack(GgmlType type, long rowLength, long rowCount) =>
        (type == GgmlType.Q4_0 || type == GgmlType.Q8_0)
        && rowLength > 0 && rowLength % BlockSize == 0
        && rowCount > 0 && rowCount % Rows == 0;

    /// <summary>Bytes of one packed block (eight source blocks).</summary>
    public static int PackedBlockBytes(GgmlType type) => Rows * GgmlTypeInfo.Get(type).BytesPerBlock;

    private static int QuantBytes(GgmlType type) => GgmlTypeInfo.Get(type).BytesPerBlock - 2;

    /// <summary>Converts <paramref name="rowCount"/> rows in the file's layout into the packed layout.</summary>
    public static void Pack(GgmlType type, ReadOnlySpan<byte> source, Span<byte> destination, long rowLength, long rowCount)
    {
        Check(type, source.Length, destination.Length, rowLength, rowCount);
        int blockBytes = GgmlTypeInfo.Get(type).BytesPerBlock, qs = QuantBytes(type);
        long nb = rowLength / BlockSize;
        byte xor = type == GgmlType.Q4_0 ? (byte)0x88 : (byte)0;
        int packed = PackedBlockBytes(type);
        for (long g = 0; g < rowCount / Rows; g++)
        for (long b = 0; b < nb; b++)
        {
            var dst = destination.Slice(checked((int)((g * nb + b) * packed)), packed);
            for (int r = 0; r < Rows; r++)
            {
                var src = source.Slice(checked((int)(((g * Rows + r) * nb + b) * blockBytes)), blockBytes);
                src[..2].CopyTo(dst.Slice(2 * r, 2));
                for (int half = 0; half < qs / Chunk; half++)
                {
                    var from = src.Slice(2 + half * Chunk, Chunk);
                    var to = dst.Slice(2 * Rows + (half * Rows + r) * Chunk, Chunk);
                    for (int i = 0; i < Chunk; i++) to[i] = (byte)(from[i] ^ xor);
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="Pack"/>: back to the file's layout.</summary>
    public static void Unpack(GgmlType type, ReadOnlySpan<byte> source, Span<byte> destination, long rowLength, long rowCount)
    {
        Check(type, destination.Length, source.Length, rowLength, rowCount);
        int blockBytes = GgmlTypeInfo.Get(type).BytesPerBlock, qs = QuantBytes(type);
        long nb = rowLength / BlockSize;
        byte xor = type == GgmlType.Q4_0 ? (byte)0x88 : (byte)0;
        int packed = PackedBlockBytes(type);
        for (long g = 0; g < rowCount / Rows; g++)
        for (long b = 0; b < nb; b++)
        {
            var src = source.Slice(checked((int)((g * nb + b) * packed)), packed);
            for (int r = 0; r < Rows; r++)
            {
                var dst = destination.Slice(checked((int)(((g * Rows + r) * nb + b) * blockBytes)), blockBytes);
                src.Slice(2 * r, 2).CopyTo(dst[..2]);
                for (int half = 0; half < qs / Chunk; half++)
                {
                    var from = src.Slice(2 * Rows + (half * Rows + r) * Chunk, Chunk);
                    var to = dst.Slice(2 + half * Chunk, Chunk);
                    for (int i = 0; i < Chunk; i++) to[i] = (byte)(from[i] ^ xor);
                }
            }
        }
    }

    private static void Check(GgmlType type, int fileBytes, int packedBytes, long rowLength, long rowCount)
    {
        if (!CanPack(type, rowLength, rowCount))
            throw new ArgumentException($"{type} [{rowLength} x {rowCount}] cannot be repacked (needs Q4_0/Q8_0, rows a multiple of {Rows}, row length a multiple of {BlockSize})");
        long expected = GgmlTypeInfo.Get(type).RowBytes(rowLength) * rowCount;
        if (fileBytes != expected || packedBytes != expected)
            throw new ArgumentException($"repack: expected {expected} bytes, got {fileBytes} and {packedBytes}");
    }
}
