using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q4_K weights repacked for the AMX tiles, one tile per (16-row panel, 32-element sub-block), laid out {panel,
/// sub-block, tile} so that every K step is 32 values as for Q4_0. Bytes 0–255: the sub-block's 32 nibbles of each row
/// as <see cref="AmxNibbleTile"/> (Q4_K keeps sub-block 2j in the low and 2j + 1 in the high nibbles of 32 bytes; here
/// each sub-block gets Q4_0's arrangement, so the same unpack and tile program serve both); 256–271: the 16 rows' 6-bit
/// scales sc_j, 272–287: their 6-bit mins m_j, 288–319: the rows' fp16 d, 320–351: their fp16 dmin (the super-block's,
/// repeated in its eight tiles). Keeping the scales integer lets a super-block's sums stay integer as in ggml's vec_dot.
/// ggml's AMX buffer takes Q4_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class Q4_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 144, SubBlockElements = 32, PanelRows = 16;
    public const int ScalesOffset = AmxNibbleTile.PackedBytes;       // 256: byte per row
    public const int MinsOffset = ScalesOffset + PanelRows;          // 272: byte per row
    public const int DOffset = MinsOffset + PanelRows;               // 288: fp16 per row
    public const int DminOffset = DOffset + PanelRows * 2;           // 320: fp16 per row
    public const int TileBytes = DminOffset + PanelRows * 2;         // 352

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SubBlockElements) * TileBytes;

    /// <summary>Repacks N rows of K Q4_K values (ggml's block_q4_K rows: fp16 d, fp16 dmin, 12 scale bytes, 128 nibble bytes).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q4_KRows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q4_K layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements, steps = k / SubBlockElements;
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
                    for (int j = 0; j < 8; j++)
                    {
                        var tile = packed.AsSpan((int)(((long)p * steps + s * 8 + j) * TileBytes), TileBytes);
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
                        block[..2].CopyTo(tile[(DOffset + 2 * nn)..]);
                        block.Slice(2, 2).CopyTo(tile[(DminOffset + 2 * nn)..]);
                    }
                }
        return packed;
    }
}
