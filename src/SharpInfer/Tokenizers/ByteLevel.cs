namespace SharpInfer.Tokenizers;

/// <summary>
/// GPT-2's reversible byte ↔ printable-codepoint table: bytes that are visible Latin-1 characters
/// stand for themselves, the other 68 are moved to U+0100.. in byte order (unicode.cpp's
/// unicode_byte_to_utf8_map).
/// </summary>
internal static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    public static char Encode(byte b) => ByteToChar[b];

    /// <summary>The byte a codepoint stands for, or -1 when it is not part of the table.</summary>
    public static int Decode(int cp) => (uint)cp < (uint)CharToByte.Length ? CharToByte[cp] : -1;

    private static bool IsDirect(int b) => b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
            map[b] = IsDirect(b) ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (var b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }
}
