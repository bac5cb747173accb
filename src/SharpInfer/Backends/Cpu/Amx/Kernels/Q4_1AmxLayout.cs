namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q4_1 weights repacked into ggml's AMX layout (ggml-cpu amx/mmq.cpp, pack_B for block_q4_1):
/// 16-row panels, one 320-byte tile (16 × sizeof(block_q4_1)) per (panel, 32-element block), laid
/// out {panel, block, tile}. Bytes 0–255: the quants as <see cref="AmxNibbleTile"/>; 256–287 the 16
/// fp16 scales d; 288–319 the 16 fp16 mins m. Unpacking gives the {8, 16, 4} tile of the unsigned
/// nibbles 0–15 (ggml's unpack_B&lt;block_q4_1&gt;: no offset; tdpbssd sees them as small positive
/// int8). Requires N % 16 == 0 and K % 32 == 0.
/// </summary>
internal static unsafe class Q4_1AmxLayout
{
    public const int BlockElements = 32, BlockBytes = 20, PanelRows = 16;
    public const int QuantBytes = AmxNibbleTile.PackedBytes;        // 256
    public const int ScalesOffset = QuantBytes;                     // 256
    public const int MinsOffset = ScalesOffset + PanelRows * 2;     // 288
    public const int TileBytes = MinsOffset + PanelRows * 2;        // 320

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % BlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / BlockElements) * TileBytes;

    /// <summary>Repacks N rows of K Q4_1 values (ggml's block_q4_1 rows: fp16 d, fp16 m, 16 bytes of nibbles).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q4_1Rows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q4_1 layout needs N % 16 == 0 and K % 32 == 0 (N = {n}, K = {k})");
        int kb = k / BlockElements;
        long rowBytes = (long)kb * BlockBytes;
        if (q4_1Rows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < n / PanelRows; p++)
            for (int b = 0; b < kb; b++)
            {
                var tile = packed.AsSpan((int)(((long)p * kb + b) * TileBytes), TileBytes);
                for (int nn = 0; nn < PanelRows; nn++)
                {
                    var block = q4_1Rows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)b * BlockBytes), BlockBytes);
                    AmxNibbleTile.PackRow(block.Slice(4, 16), tile, nn);
                    tile[ScalesOffset + 2 * nn] = block[0];
                    tile[ScalesOffset + 2 * nn + 1] = block[1];
                    tile[MinsOffset + 2 * nn] = block[2];
                    tile[MinsOffset + 2 * nn + 1] = block[3];
                }
            }
        return packed;
    }

    /// <summary>One packed tile's quants to the int8 VNNI tile {8, 16, 4} of unsigned nibbles (ggml's unpack_B).</summary>
    public static void Unpack(byte* tile, sbyte* vnni) => AmxNibbleTile.Unpack(tile, vnni, 0);
}
