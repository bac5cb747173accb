using System.Buffers.Binary;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// IQ4_XS weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// eight tiles, one per 32-element sub-block, then the rows' fp16 d (bytes 4224–4255). A tile's bytes 0–511: the
/// non-linear values kvalues_iq4nl[nibble] (−127…113) as the signed int8 VNNI tile {8, 16, 4} that tdpbssd reads in
/// place (byte g·64 + row·4 + i holds element 4g + i); 512–527: the rows' sub-block scales ls − 32 (signed). ggml's AMX
/// buffer takes IQ4_XS too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static class IQ4_XSAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 136, SubBlockElements = 32, PanelRows = 16;
    public const int QuantBytes = PanelRows * SubBlockElements;      // 512
    public const int ScalesOffset = QuantBytes;                      // 512: signed byte per row
    public const int TileBytes = ScalesOffset + PanelRows;           // 528
    public const int DOffset = 8 * TileBytes;                        // 4224 in the super-block: fp16 per row
    public const int PackedSuperBlockBytes = DOffset + PanelRows * 2; // 4256

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SuperBlockElements) * PackedSuperBlockBytes;

    /// <summary>Repacks N rows of K IQ4_XS values (ggml's block_iq4_xs: fp16 d, scales_h, scales_l[4], qs[128]).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> rows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX IQ4_XS layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements;
        long rowBytes = (long)superBlocks * SuperBlockBytes;
        if (rows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var values = IQ4_NLFormat.Values;
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < n / PanelRows; p++)
            for (int nn = 0; nn < PanelRows; nn++)
                for (int s = 0; s < superBlocks; s++)
                {
                    var block = rows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)s * SuperBlockBytes), SuperBlockBytes);
                    int scalesH = BinaryPrimitives.ReadUInt16LittleEndian(block[2..]);
                    var packedBlock = packed.AsSpan((int)(((long)p * superBlocks + s) * PackedSuperBlockBytes), PackedSuperBlockBytes);
                    block[..2].CopyTo(packedBlock[(DOffset + 2 * nn)..]);
                    for (int j = 0; j < 8; j++)
                    {
                        var tile = packedBlock.Slice(j * TileBytes, TileBytes);
                        var qs = block.Slice(8 + 16 * j, 16);
                        for (int e = 0; e < SubBlockElements; e++)
                        {
                            // element e < 16: low nibble of qs[e]; e ≥ 16: high nibble of qs[e − 16]
                            int nibble = e < 16 ? qs[e] & 0xF : qs[e - 16] >> 4;
                            tile[(e / 4) * 64 + nn * 4 + e % 4] = (byte)values[nibble];
                        }
                        int ls = ((block[4 + j / 2] >> (4 * (j % 2))) & 0xF) | (((scalesH >> (2 * j)) & 3) << 4);
                        tile[ScalesOffset + nn] = (byte)(sbyte)(ls - 32);
                    }
                }
        return packed;
    }
}
