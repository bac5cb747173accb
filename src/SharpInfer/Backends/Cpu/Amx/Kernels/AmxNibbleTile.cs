using System.Runtime.Intrinsics;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The 4-bit quants of ggml's AMX tiles for Q4_0 and Q4_1 (mmq.cpp pack_qs / unpack_B): the int8
/// VNNI tile {k/4 = 8, n = 16, 4} of one 32-element block of 16 rows, folded in pairs of 64-byte
/// lines — byte <c>p·64 + n·4 + i</c> holds element <c>8p + i</c> of row n in its low nibble and
/// element <c>8p + 4 + i</c> in its high nibble (ggml's packNibbles of VNNI lines 2p and 2p + 1).
/// 256 bytes per tile, at its start.
/// </summary>
internal static unsafe class AmxNibbleTile
{
    public const int Rows = 16, BlockElements = 32;
    public const int PackedBytes = Rows * BlockElements / 2;   // 256
    public const int UnpackedBytes = Rows * BlockElements;     // 512

    /// <summary>
    /// Places row <paramref name="row"/>'s 16 bytes of block_q4_x nibbles (elements 0–15 in the low
    /// nibbles of qs[0..15], 16–31 in their high nibbles) into a zeroed packed tile.
    /// </summary>
    public static void PackRow(ReadOnlySpan<byte> qs, Span<byte> tile, int row)
    {
        for (int kk = 0; kk < BlockElements; kk++)
        {
            int q = kk < 16 ? qs[kk] & 0xF : qs[kk - 16] >> 4;
            int g = kk / 4;
            tile[(g / 2) * 64 + row * 4 + kk % 4] |= (byte)(g % 2 == 0 ? q : q << 4);
        }
    }

    /// <summary>The four bits of element <paramref name="e"/> of row <paramref name="row"/> in a packed tile (line e / 4, folded in pairs).</summary>
    public static int Nibble(byte* tile, int row, int e)
    {
        int g = e / 4;
        return (tile[(g / 2) * 64 + row * 4 + e % 4] >> (4 * (g % 2))) & 0xF;
    }

    /// <summary>
    /// One packed tile's quants to the int8 VNNI tile {8, 16, 4} (512 bytes, 64-byte lines) minus
    /// <paramref name="offset"/> (8 for Q4_0, 0 for Q4_1), as ggml's unpack_B does before tileloadd:
    /// line 2p from the low nibbles of bytes p·64…p·64+63, line 2p + 1 from their high nibbles.
    /// </summary>
    public static void Unpack(byte* tile, sbyte* vnni, int offset)
    {
        if (Vector512.IsHardwareAccelerated) UnpackVector512(tile, vnni, offset);
        else UnpackScalar(tile, vnni, offset);
    }

    /// <summary>
    /// The tiles of <paramref name="panels"/> consecutive 16-row panels (<paramref name="panelBytes"/> apart, one tile of
    /// <paramref name="tileBytes"/> per K step) unpacked into {panel, step, 512 bytes} at <paramref name="dst"/>.
    /// </summary>
    public static void UnpackPanels(byte* panel0, long panelBytes, int panels, int steps, int tileBytes, byte* dst, int offset)
    {
        long unpackedPanelBytes = (long)steps * UnpackedBytes;
        for (int q = 0; q < panels; q++)
            for (int b = 0; b < steps; b++)
                Unpack(panel0 + q * panelBytes + (long)b * tileBytes, (sbyte*)(dst + q * unpackedPanelBytes + (long)b * UnpackedBytes), offset);
    }

    internal static void UnpackVector512(byte* tile, sbyte* vnni, int offset)
    {
        var low = Vector512.Create((byte)0xF);
        var bias = Vector512.Create((byte)offset);
        for (int p = 0; p < PackedBytes / 64; p++)
        {
            var src = Vector512.Load(tile + p * 64);
            ((src & low) - bias).Store((byte*)vnni + 2 * p * 64);
            ((Vector512.ShiftRightLogical(src.AsUInt16(), 4).AsByte() & low) - bias).Store((byte*)vnni + 2 * p * 64 + 64);
        }
    }

    internal static void UnpackScalar(byte* tile, sbyte* vnni, int offset)
    {
        for (int p = 0; p < PackedBytes / 64; p++)
        {
            byte* src = tile + p * 64;
            sbyte* lo = vnni + 2 * p * 64, hi = lo + 64;
            for (int j = 0; j < 64; j++)
            {
                lo[j] = (sbyte)((src[j] & 0xF) - offset);
                hi[j] = (sbyte)((src[j] >> 4) - offset);
            }
        }
    }
}
