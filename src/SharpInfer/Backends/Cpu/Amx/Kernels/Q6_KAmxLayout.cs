using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q6_K weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// sixteen tiles, one per 16-element sub-block (Q6_K's scales change every 16 values, so every K step is 16; tile B:
/// 4 rows × 64 bytes), then the rows' fp16 d (bytes 3328–3359) — the file's 210 bytes per row and super-block. A tile
/// keeps the unsigned quants q (0…63) in six bits as the file does: bytes 0–127 their low four bits, folded as
/// <see cref="AmxNibbleTile"/> folds the int8 VNNI tile {4, 16, 4} (byte p·64 + row·4 + i: line 2p, element 8p + i, in
/// the low nibble, line 2p + 1, element 8p + 4 + i, in the high one), bytes 128–191 their top two bits (byte row·4 + i:
/// bits 2g, 2g + 1 for element 4g + i), bytes 192–207 the 16 rows' signed 8-bit scales. The tile program reads the
/// signed tile q − 32 that <see cref="Unpack"/> writes per thread; one-token products read the six bits directly.
/// ggml's AMX buffer takes Q6_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static unsafe class Q6_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 210, SubBlockElements = 16, PanelRows = 16;
    public const int HighBitsOffset = 128;                           // 64 bytes: two bits per element
    public const int ScalesOffset = 192;                             // signed byte per row
    public const int TileBytes = ScalesOffset + PanelRows;           // 208
    public const int DOffset = 16 * TileBytes;                       // 3328 in the super-block: fp16 per row
    public const int PackedSuperBlockBytes = DOffset + PanelRows * 2; // 3360
    public const int UnpackedTileBytes = PanelRows * SubBlockElements; // 256: int8 VNNI {4, 16, 4}
    public const int Offset = 32;

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
                        {
                            int u = q[16 * j + e] + Offset, g = e / 4, i = e % 4;
                            tile[(g / 2) * 64 + nn * 4 + i] |= (byte)((u & 0xF) << (4 * (g % 2)));
                            tile[HighBitsOffset + nn * 4 + i] |= (byte)((u >> 4) << (2 * g));
                        }
                        tile[ScalesOffset + nn] = block[192 + j];
                    }
                }
        return packed;
    }

    /// <summary>The unsigned quant q (0…63) of element <paramref name="e"/> of row <paramref name="row"/> in a packed tile.</summary>
    public static int Quant(byte* tile, int row, int e)
    {
        int high = (tile[HighBitsOffset + row * 4 + e % 4] >> (2 * (e / 4))) & 3;
        return AmxNibbleTile.Nibble(tile, row, e) | high << 4;
    }

    /// <summary>Line g (0…3) of the VNNI tile as unsigned q: 64 bytes, byte row·4 + i for element 4g + i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Line(Vector512<byte> low, Vector512<byte> high, int g)
    {
        var nibble = g % 2 == 0 ? low : Vector512.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
        // the element's two top bits (bits 2g, 2g + 1 of its high byte) to bits 4, 5
        var top = g switch
        {
            0 => Vector512.ShiftLeft(high.AsUInt16(), 4).AsByte(),
            1 => Vector512.ShiftLeft(high.AsUInt16(), 2).AsByte(),
            2 => high,
            _ => Vector512.ShiftRightLogical(high.AsUInt16(), 2).AsByte(),
        };
        return (nibble & Vector512.Create((byte)0x0F)) | (top & Vector512.Create((byte)0x30));
    }

    /// <summary>One packed tile to the signed int8 VNNI tile q − 32 (256 bytes) the tile program reads.</summary>
    public static void Unpack(byte* tile, sbyte* vnni)
    {
        if (Vector512.IsHardwareAccelerated) UnpackVector512(tile, vnni);
        else UnpackScalar(tile, vnni);
    }

    internal static void UnpackVector512(byte* tile, sbyte* vnni)
    {
        var low0 = Vector512.Load(tile);
        var low1 = Vector512.Load(tile + 64);
        var high = Vector512.Load(tile + HighBitsOffset);
        var offset = Vector512.Create((byte)Offset);
        (Line(low0, high, 0) - offset).Store((byte*)vnni);
        (Line(low0, high, 1) - offset).Store((byte*)vnni + 64);
        (Line(low1, high, 2) - offset).Store((byte*)vnni + 128);
        (Line(low1, high, 3) - offset).Store((byte*)vnni + 192);
    }

    internal static void UnpackScalar(byte* tile, sbyte* vnni)
    {
        for (int row = 0; row < PanelRows; row++)
            for (int e = 0; e < SubBlockElements; e++)
                vnni[(e / 4) * 64 + row * 4 + e % 4] = (sbyte)(Quant(tile, row, e) - Offset);
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
