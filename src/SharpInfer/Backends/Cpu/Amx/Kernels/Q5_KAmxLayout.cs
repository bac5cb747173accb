using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q5_K weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// eight tiles, one per 32-element sub-block, then the rows' fp16 d (bytes 4352–4383) and fp16 dmin (4384–4415). A
/// tile's bytes 0–511: the quants q − 16 (−16…15; q = nibble + 16·high bit) as the signed int8 VNNI tile {8, 16, 4}
/// that tdpbssd reads in place (byte g·64 + row·4 + i holds element 4g + i); 512–527: the rows' 6-bit scales sc_j,
/// 528–543: their 6-bit mins m_j. ggml's AMX buffer takes Q5_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class Q5_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 176, SubBlockElements = 32, PanelRows = 16;
    public const int QuantBytes = PanelRows * SubBlockElements;      // 512
    public const int ScalesOffset = QuantBytes;                      // 512
    public const int MinsOffset = ScalesOffset + PanelRows;          // 528
    public const int TileBytes = MinsOffset + PanelRows;             // 544
    public const int DOffset = 8 * TileBytes;                        // 4352 in the super-block: fp16 per row
    public const int DminOffset = DOffset + PanelRows * 2;           // 4384: fp16 per row
    public const int PackedSuperBlockBytes = DminOffset + PanelRows * 2; // 4416

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SuperBlockElements) * PackedSuperBlockBytes;

    /// <summary>Repacks N rows of K Q5_K values (ggml's block_q5_K rows: fp16 d, fp16 dmin, 12 scale bytes, qh[32], qs[128]).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q5_KRows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q5_K layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements;
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
                    var packedBlock = packed.AsSpan((int)(((long)p * superBlocks + s) * PackedSuperBlockBytes), PackedSuperBlockBytes);
                    block[..2].CopyTo(packedBlock[(DOffset + 2 * nn)..]);
                    block.Slice(2, 2).CopyTo(packedBlock[(DminOffset + 2 * nn)..]);
                    for (int j = 0; j < 8; j++)
                    {
                        var tile = packedBlock.Slice(j * TileBytes, TileBytes);
                        for (int e = 0; e < SubBlockElements; e++)
                        {
                            // element e of sub-block j: nibble of qs[32·(j/2) + e] (low for even j), fifth bit j of qh[e]
                            int q = ((qs[32 * (j / 2) + e] >> (4 * (j % 2))) & 0xF) + (((qh[e] >> j) & 1) << 4);
                            tile[(e / 4) * 64 + nn * 4 + e % 4] = (byte)(sbyte)(q - 16);
                        }
                        QuantMath.GetScaleMinK4(j, scales, out byte sc, out byte m);
                        tile[ScalesOffset + nn] = sc;
                        tile[MinsOffset + nn] = m;
                    }
                }
        return packed;
    }
}
