namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q4_0 weights repacked into ggml's AMX layout (ggml-cpu amx/mmq.cpp, pack_B for block_q4_0):
/// 16-row panels, one 288-byte tile (16 × sizeof(block_q4_0)) per (panel, 32-element block), laid
/// out {panel, block, tile}. Bytes 0–255: the quants as <see cref="AmxNibbleTile"/> (byte
/// <c>p·64 + n·4 + i</c>: element <c>8p + i</c> of row n in the low nibble, <c>8p + 4 + i</c> in the
/// high one); bytes 256–287: the 16 fp16 scales. No compensation block (that is Q8_0's).
/// Unpacking a tile gives exactly the {8, 16, 4} int8 tile (nibble − 8) that tdpbssd consumes
/// (ggml's unpack_B&lt;block_q4_0&gt;). Requires N % 16 == 0 and K % 32 == 0, as for Q8_0.
/// </summary>
internal static unsafe class Q4_0AmxLayout
{
    public const int BlockElements = 32, BlockBytes = 18, PanelRows = 16;
    public const int QuantBytes = AmxNibbleTile.PackedBytes;        // 256
    public const int ScalesOffset = QuantBytes;                     // 256
    public const int TileBytes = ScalesOffset + PanelRows * 2;      // 288
    /// <summary>Bytes of one unpacked int8 VNNI tile {8, 16, 4}: what the tile program loads as B.</summary>
    public const int UnpackedTileBytes = AmxNibbleTile.UnpackedBytes; // 512
    /// <summary>Q4_0 stores q + 8 in each nibble.</summary>
    public const int Offset = 8;

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % BlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / BlockElements) * TileBytes;

    /// <summary>Repacks N rows of K Q4_0 values (ggml's block_q4_0 rows: fp16 d, 16 bytes of nibbles).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q4_0Rows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q4_0 layout needs N % 16 == 0 and K % 32 == 0 (N = {n}, K = {k})");
        int kb = k / BlockElements;
        long rowBytes = (long)kb * BlockBytes;
        if (q4_0Rows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < n / PanelRows; p++)
            for (int b = 0; b < kb; b++)
            {
                var tile = packed.AsSpan((int)(((long)p * kb + b) * TileBytes), TileBytes);
                for (int nn = 0; nn < PanelRows; nn++)
                {
                    var block = q4_0Rows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)b * BlockBytes), BlockBytes);
                    AmxNibbleTile.PackRow(block.Slice(2, 16), tile, nn);
                    tile[ScalesOffset + 2 * nn] = block[0];
                    tile[ScalesOffset + 2 * nn + 1] = block[1];
                }
            }
        return packed;
    }

    /// <summary>One packed tile's quants to the int8 VNNI tile {8, 16, 4} with the −8 offset applied (ggml's unpack_B).</summary>
    public static void Unpack(byte* tile, sbyte* vnni) => AmxNibbleTile.Unpack(tile, vnni, Offset);
}
