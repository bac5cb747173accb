using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q5_K weights repacked for the AMX tiles, one tile per (16-row panel, 32-element sub-block), laid out {panel,
/// sub-block, tile}. Bytes 0–511: the quants q − 16 (−16…15; q = nibble + 16·high bit) as the signed int8 VNNI tile
/// {8, 16, 4} that tdpbssd reads in place (byte g·64 + row·4 + i holds element 4g + i); 512–527: the rows' 6-bit
/// scales sc_j, 528–543: their 6-bit mins m_j, 544–575: fp16 d, 576–607: fp16 dmin (the super-block's, repeated in its
/// eight tiles). ggml's AMX buffer takes Q5_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class Q5_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 176, SubBlockElements = 32, PanelRows = 16;
    public const int QuantBytes = PanelRows * SubBlockElements;      // 512
    public const int ScalesOffset = QuantBytes;                      // 512
    public const int MinsOffset = ScalesOffset + PanelRows;          // 528
    public const int DOffset = MinsOffset + PanelRows;               // 544
    public const int DminOffset = DOffset + PanelRows * 2;           // 576
    public const int TileBytes = DminOffset + PanelRows * 2;         // 608

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SubBlockElements) * TileBytes;

    /// <summary>Repacks N rows of K Q5_K values (ggml's block_q5_K rows: fp16 d, fp16 dmin, 12 scale bytes, qh[32], qs[128]).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q5_KRows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q5_K layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements, steps = k / SubBlockElements;
        long rowBytes = (long)superBlocks * SuperBlockBytes;
        if (q5_KRows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < n / PanelRows; p++)
            for (int nn = 0; nn < PanelRows; nn++)
                for (int s = 0; s < superBlocks; s++)
                {
                    var block = q5_KRows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)s * SuperBlockBytes), SuperBlockBytes);
                    var scales = block.Slice(4, 12);
                    var qh = block.Slice(16, 32);
                    var qs = block[48..];
                    for (int j = 0; j < 8; j++)
                    {
                        var tile = packed.AsSpan((int)(((long)p * steps + s * 8 + j) * TileBytes), TileBytes);
                        for (int e = 0; e < SubBlockElements; e++)
                        {
                            // element e of sub-block j: nibble of qs[32·(j/2) + e] (low for even j), fifth bit j of qh[e]
                            int q = ((qs[32 * (j / 2) + e] >> (4 * (j % 2))) & 0xF) + (((qh[e] >> j) & 1) << 4);
                            tile[(e / 4) * 64 + nn * 4 + e % 4] = (byte)(sbyte)(q - 16);
                        }
                        QuantMath.GetScaleMinK4(j, scales, out byte sc, out byte m);
                        tile[ScalesOffset + nn] = sc;
                        tile[MinsOffset + nn] = m;
                        block[..2].CopyTo(tile[(DOffset + 2 * nn)..]);
                        block.Slice(2, 2).CopyTo(tile[(DminOffset + 2 * nn)..]);
                    }
                }
        return packed;
    }
}
