using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q5_K weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// eight tiles, one per 32-element sub-block, then the rows' fp16 d (bytes 2816–2847) and fp16 dmin (2848–2879) — 2%
/// more than the file's 176 bytes per row and super-block. A tile keeps the unsigned quants q (0…31) in five bits as
/// the file does: bytes 0–255 their low four bits as <see cref="AmxNibbleTile"/> (byte p·64 + row·4 + i: element 8p + i
/// in the low nibble, 8p + 4 + i in the high one), bytes 256–319 their fifth bits (byte row·4 + i: bit g for element
/// 4g + i), 320–335 the rows' 6-bit scales sc_j, 336–351 their 6-bit mins m_j. The tile program reads the signed tile
/// q − 16 that <see cref="Unpack"/> writes per thread; one-token products read the five bits directly. ggml's AMX
/// buffer takes Q5_K too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static unsafe class Q5_KAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 176, SubBlockElements = 32, PanelRows = 16;
    public const int HighBitsOffset = AmxNibbleTile.PackedBytes;     // 256: one bit per element
    public const int ScalesOffset = HighBitsOffset + 64;             // 320
    public const int MinsOffset = ScalesOffset + PanelRows;          // 336
    public const int TileBytes = MinsOffset + PanelRows;             // 352
    public const int DOffset = 8 * TileBytes;                        // 2816 in the super-block: fp16 per row
    public const int DminOffset = DOffset + PanelRows * 2;           // 2848: fp16 per row
    public const int PackedSuperBlockBytes = DminOffset + PanelRows * 2; // 2880
    public const int Offset = 16;

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
        Span<byte> sub = stackalloc byte[16];
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
                        // element e of sub-block j: nibble of qs[32·(j/2) + e] (low for even j), fifth bit j of qh[e];
                        // Q4_0's nibble arrangement puts elements i and i + 16 in one byte
                        int shift = 4 * (j % 2);
                        for (int i = 0; i < 16; i++)
                            sub[i] = (byte)(((qs[32 * (j / 2) + i] >> shift) & 0xF) | (((qs[32 * (j / 2) + i + 16] >> shift) & 0xF) << 4));
                        AmxNibbleTile.PackRow(sub, tile, nn);
                        for (int e = 0; e < SubBlockElements; e++)
                            tile[HighBitsOffset + nn * 4 + e % 4] |= (byte)(((qh[e] >> j) & 1) << (e / 4));
                        QuantMath.GetScaleMinK4(j, scales, out byte sc, out byte m);
                        tile[ScalesOffset + nn] = sc;
                        tile[MinsOffset + nn] = m;
                    }
                }
        return packed;
    }

    /// <summary>The unsigned quant q (0…31) of element <paramref name="e"/> of row <paramref name="row"/> in a packed tile.</summary>
    public static int Quant(byte* tile, int row, int e)
    {
        return AmxNibbleTile.Nibble(tile, row, e) | ((tile[HighBitsOffset + row * 4 + e % 4] >> (e / 4)) & 1) << 4;
    }

    /// <summary>Line g (0…7) of the VNNI tile as unsigned q from its nibble byte line and the tile's fifth bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Line(Vector512<byte> nibbles, Vector512<byte> high, int g)
    {
        var nibble = g % 2 == 0 ? nibbles : Vector512.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte();
        // bit g of the element's byte to bit 4 (16-bit shifts: what crosses the byte boundary lands outside bit 4)
        var bit = g <= 4 ? Vector512.ShiftLeft(high.AsUInt16(), 4 - g).AsByte() : Vector512.ShiftRightLogical(high.AsUInt16(), g - 4).AsByte();
        return (nibble & Vector512.Create((byte)0x0F)) | (bit & Vector512.Create((byte)0x10));
    }

    /// <summary>One packed tile to the signed int8 VNNI tile q − 16 (512 bytes) the tile program reads.</summary>
    public static void Unpack(byte* tile, sbyte* vnni)
    {
        if (Vector512.IsHardwareAccelerated) UnpackVector512(tile, vnni);
        else UnpackScalar(tile, vnni);
    }

    internal static void UnpackVector512(byte* tile, sbyte* vnni)
    {
        var high = Vector512.Load(tile + HighBitsOffset);
        var offset = Vector512.Create((byte)Offset);
        for (int g = 0; g < 8; g++)
            (Line(Vector512.Load(tile + (g / 2) * 64), high, g) - offset).Store((byte*)vnni + 64 * g);
    }

    internal static void UnpackScalar(byte* tile, sbyte* vnni)
    {
        for (int row = 0; row < PanelRows; row++)
            for (int e = 0; e < SubBlockElements; e++)
                vnni[(e / 4) * 64 + row * 4 + e % 4] = (sbyte)(Quant(tile, row, e) - Offset);
    }
}
