namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// The 64-byte LDTILECFG operand for palette 1: byte 0 palette, byte 1 start_row, bytes 16–31
/// colsb[0..7] (little-endian u16), bytes 48–55 rows[0..7]; everything else zero.
/// </summary>
internal sealed class TileConfig
{
    public const int Size = 64;
    private readonly byte[] _bytes = new byte[Size];

    public TileConfig() => _bytes[0] = 1;

    /// <summary>Shapes tile <paramref name="tile"/> as <paramref name="rows"/> rows of <paramref name="colsb"/> bytes.</summary>
    public TileConfig Set(int tile, int rows, int colsb)
    {
        if ((uint)tile > 7) throw new ArgumentOutOfRangeException(nameof(tile));
        if (rows is < 0 or > 16 || colsb is < 0 or > 64 || colsb % 4 != 0 || (rows == 0) != (colsb == 0))
            throw new ArgumentException($"tile {tile}: {rows} rows × {colsb} bytes is not a valid shape");
        _bytes[16 + 2 * tile] = (byte)colsb;
        _bytes[17 + 2 * tile] = 0;
        _bytes[48 + tile] = (byte)rows;
        return this;
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The config as eight little-endian qwords (what an emitted program stores on its stack).</summary>
    public long Qword(int i) => BitConverter.ToInt64(_bytes, 8 * i);
}
