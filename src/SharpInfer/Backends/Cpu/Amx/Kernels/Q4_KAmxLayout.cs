using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q4_K weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// eight tiles, one per 32-element sub-block (every K step is 32 values as for Q4_0), then the rows' fp16 d (bytes
/// 2304–2335) and fp16 dmin (2336–2367). A tile's bytes 0–255: the sub-block's 32 nibbles of each row as
/// <see cref="AmxNibbleTile"/> (Q4_K keeps sub-block 2j in the low and 2j + 1 in the high nibbles of 32 bytes; here
/// each sub-block gets Q4_0's arrangement, so the same unpack and tile program serve both); 256–271: the 16 rows' 6-bit
/// scales sc_j, 272–287: their 6-bit mins m_j. Keeping the scales integer lets a super-block's sums stay integer as in
/// ggml's vec_dot; d and dmin once per super-block keep the layout within 3% of the file's bytes (one-token products
/// read all of it).
/// ggml's AMX buffer takes Q4_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class Q4_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 144, SubBlockElements = 32, PanelRows = 16;
    public const int ScalesOffset = AmxNibbleTile.PackedBytes;       // 256: byte per row
    public const int MinsOffset = ScalesOffset + PanelRows;          // 272: byte per row
    public const int TileBytes = MinsOffset + PanelRows;             // 288
    public const int DOffset = 8 * TileBytes;                        // 2304 in the super-block: fp16 per row
    public const int DminOffset = DOffset + PanelRows * 2;           // 2336: fp16 per row
    public const int PackedSuperBlockBytes = DminOffset + PanelRows * 2; // 2368

    /// <summary>One packed tile to the signed int8 VNNI tile q − 8 (512 bytes) the tile program reads.</summary>
    public static unsafe void Unpack(byte* tile, sbyte* vnni) => AmxNibbleTile.Unpack(tile, vnni, Q4_0AmxLayout.Offset);

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SuperBlockElements) * PackedSuperBlockBytes;

    /// <summary>Repacks N rows of K Q4_K values (ggml's block_q4_K rows: fp16 d, fp16 dmin, 12 scale bytes, 128 nibble bytes).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q4_KRows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q4_K layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements;
        long rowBytes = (long)superBlocks * SuperBlockBytes;
        if (q4_KRows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        Span<byte> sub = stackalloc byte[16];
        for (int p = 0; p < n / PanelRows; p++)
            for (int nn = 0; nn < PanelRows; nn++)
                for (int s = 0; s < superBlocks; s++)
                {
                    var block = q4_KRows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)s * SuperBlockBytes), SuperBlockBytes);
                    var scales = block.Slice(4, 12);
                    var qs = block[16..];
                    var packedBlock = packed.AsSpan((int)(((long)p * superBlocks + s) * PackedSuperBlockBytes), PackedSuperBlockBytes);
                    block[..2].CopyTo(packedBlock[(DOffset + 2 * nn)..]);
                    block.Slice(2, 2).CopyTo(packedBlock[(DminOffset + 2 * nn)..]);
                    for (int j = 0; j < 8; j++)
                    {
                        var tile = packedBlock.Slice(j * TileBytes, TileBytes);
                        QuantMath.GetScaleMinK4(j, scales, out byte sc, out byte m);
                        // element i of sub-block j: nibble (j even: low, odd: high) of qs[32·(j/2) + i];
                        // Q4_0's arrangement puts elements i and i + 16 in one byte
                        var q = qs.Slice(32 * (j / 2), 32);
                        int shift = 4 * (j % 2);
                        for (int i = 0; i < 16; i++)
                            sub[i] = (byte)(((q[i] >> shift) & 0xF) | (((q[i + 16] >> shift) & 0xF) << 4));
                        AmxNibbleTile.PackRow(sub, tile, nn);
                        tile[ScalesOffset + nn] = sc;
                        tile[MinsOffset + nn] = m;
                    }
                }
        return packed;
    }
}
