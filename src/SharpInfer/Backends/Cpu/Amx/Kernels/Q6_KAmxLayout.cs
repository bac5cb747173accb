namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q6_K weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// sixteen tiles, one per 16-element sub-block (Q6_K's scales change every 16 values, so every K step is 16; tile B:
/// 4 rows × 64 bytes), then the rows' fp16 d (bytes 4352–4383). A tile's bytes 0–255: the signed quants q − 32
/// (−32…31) as the int8 VNNI tile {4, 16, 4} that tdpbssd consumes (byte g·64 + row·4 + i holds element 4g + i) —
/// stored unpacked, so the program reads them in place; 256–271: the 16 rows' signed 8-bit scales of this sub-block. ggml's AMX
/// buffer takes Q6_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class Q6_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 210, SubBlockElements = 16, PanelRows = 16;
    public const int QuantBytes = PanelRows * SubBlockElements;      // 256
    public const int ScalesOffset = QuantBytes;                      // 256: signed byte per row
    public const int TileBytes = ScalesOffset + PanelRows;           // 272
    public const int DOffset = 16 * TileBytes;                       // 4352 in the super-block: fp16 per row
    public const int PackedSuperBlockBytes = DOffset + PanelRows * 2; // 4384

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SuperBlockElements) * PackedSuperBlockBytes;

    /// <summary>Repacks N rows of K Q6_K values (ggml's block_q6_K rows: ql[128], qh[64], scales[16], fp16 d).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q6_KRows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q6_K layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements;
        long rowBytes = (long)superBlocks * SuperBlockBytes;
        if (q6_KRows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        Span<sbyte> q = stackalloc sbyte[SuperBlockElements];
        for (int p = 0; p < n / PanelRows; p++)
            for (int nn = 0; nn < PanelRows; nn++)
                for (int s = 0; s < superBlocks; s++)
                {
                    var block = q6_KRows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)s * SuperBlockBytes), SuperBlockBytes);
                    Quants(block, q);
                    var packedBlock = packed.AsSpan((int)(((long)p * superBlocks + s) * PackedSuperBlockBytes), PackedSuperBlockBytes);
                    block.Slice(208, 2).CopyTo(packedBlock[(DOffset + 2 * nn)..]);
                    for (int j = 0; j < 16; j++)
                    {
                        var tile = packedBlock.Slice(j * TileBytes, TileBytes);
                        for (int e = 0; e < SubBlockElements; e++)
                            tile[(e / 4) * 64 + nn * 4 + e % 4] = (byte)q[16 * j + e];
                        tile[ScalesOffset + nn] = block[192 + j];
                    }
                }
        return packed;
    }

    /// <summary>A super-block's 256 signed quants q − 32 in element order (ggml's dequantize_row_q6_K walk).</summary>
    internal static void Quants(ReadOnlySpan<byte> b, Span<sbyte> q)
    {
        for (int half = 0; half < 2; half++)
        {
            int ql = 64 * half, qh = 128 + 32 * half, o = 128 * half;
            for (int l = 0; l < 32; l++)
            {
                q[o + l] = (sbyte)(((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32);
                q[o + l + 32] = (sbyte)(((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32);
                q[o + l + 64] = (sbyte)(((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32);
                q[o + l + 96] = (sbyte)(((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32);
            }
        }
    }
}
