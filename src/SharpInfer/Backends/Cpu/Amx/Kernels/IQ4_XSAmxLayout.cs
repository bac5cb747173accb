using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// IQ4_XS weights repacked for the AMX tiles, laid out {panel, super-block}: per 16-row panel and 256-value super-block
/// eight tiles, one per 32-element sub-block, then the rows' fp16 d (bytes 2176–2207) — 1.5% more than the file's 136
/// bytes per row and super-block. A tile keeps the 4-bit indices into kvalues_iq4nl as the file does, in bytes 0–255
/// folded as <see cref="AmxNibbleTile"/> (byte p·64 + row·4 + i: element 8p + i in the low nibble, 8p + 4 + i in the
/// high one), then in 256–271 the rows' sub-block scales ls − 32 (signed). The tile program reads the signed values
/// (−127…113) that <see cref="Unpack"/> looks up per thread; one-token products look them up from the nibbles
/// directly. ggml's AMX buffer takes IQ4_XS too, with a layout of its own. Requires N % 16 == 0 and K % 256 == 0.
/// </summary>
internal static unsafe class IQ4_XSAmxLayout
{
    public const int SuperBlockElements = 256, SuperBlockBytes = 136, SubBlockElements = 32, PanelRows = 16;
    public const int ScalesOffset = AmxNibbleTile.PackedBytes;       // 256: signed byte per row
    public const int TileBytes = ScalesOffset + PanelRows;           // 272
    public const int DOffset = 8 * TileBytes;                        // 2176 in the super-block: fp16 per row
    public const int PackedSuperBlockBytes = DOffset + PanelRows * 2; // 2208

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % SuperBlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / SuperBlockElements) * PackedSuperBlockBytes;

    /// <summary>Repacks N rows of K IQ4_XS values (ggml's block_iq4_xs: fp16 d, scales_h, scales_l[4], qs[128]).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> rows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX IQ4_XS layout needs N % 16 == 0 and K % 256 == 0 (N = {n}, K = {k})");
        int superBlocks = k / SuperBlockElements;
        long rowBytes = (long)superBlocks * SuperBlockBytes;
        if (rows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
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
                        // elements 0–15 in the low nibbles of qs[0..15], 16–31 in their high nibbles: block_q4_0's order
                        AmxNibbleTile.PackRow(block.Slice(8 + 16 * j, 16), tile, nn);
                        int ls = ((block[4 + j / 2] >> (4 * (j % 2))) & 0xF) | (((scalesH >> (2 * j)) & 3) << 4);
                        tile[ScalesOffset + nn] = (byte)(sbyte)(ls - 32);
                    }
                }
        return packed;
    }

    /// <summary>The value kvalues_iq4nl[index] of element <paramref name="e"/> of row <paramref name="row"/> in a packed tile.</summary>
    public static int Value(byte* tile, int row, int e)
    {
        return IQ4_NLFormat.Values[AmxNibbleTile.Nibble(tile, row, e)];
    }

    private static readonly Vector128<sbyte> ValueTable = Vector128.Create(IQ4_NLFormat.Values);

    /// <summary>The two VNNI lines (2p, 2p + 1) of signed values in one 64-byte nibble line, looked up with VPSHUFB.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<sbyte> Low, Vector512<sbyte> High) Lines(Vector512<byte> nibbles)
    {
        var table = Vector512.Create(Vector256.Create(ValueTable, ValueTable), Vector256.Create(ValueTable, ValueTable));
        var mask = Vector512.Create((byte)0x0F);
        var low = Avx512BW.Shuffle(table, (nibbles & mask).AsSByte());
        var high = Avx512BW.Shuffle(table, (Vector512.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask).AsSByte());
        return (low, high);
    }

    /// <summary>One packed tile to the signed int8 VNNI tile of values (512 bytes) the tile program reads.</summary>
    public static void Unpack(byte* tile, sbyte* vnni)
    {
        if (Avx512BW.IsSupported) UnpackVector512(tile, vnni);
        else UnpackScalar(tile, vnni);
    }

    internal static void UnpackVector512(byte* tile, sbyte* vnni)
    {
        for (int p = 0; p < 4; p++)
        {
            var (low, high) = Lines(Vector512.Load(tile + 64 * p));
            low.Store(vnni + 128 * p);
            high.Store(vnni + 128 * p + 64);
        }
    }

    internal static void UnpackScalar(byte* tile, sbyte* vnni)
    {
        for (int row = 0; row < PanelRows; row++)
            for (int e = 0; e < SubBlockElements; e++)
                vnni[(e / 4) * 64 + row * 4 + e % 4] = (sbyte)Value(tile, row, e);
    }
}
