using System.Globalization;

namespace SharpInfer.Tokenizers;

/// <summary>
/// Per-codepoint classification as llama.cpp's unicode tables define it (gen-unicode-data.py):
/// one general-category group (\p{N}, \p{L}, \p{Z}, \p{M}, \p{P}, \p{S}, \p{C} with unassigned
/// counted as C) plus the White_Space property. We derive it from .NET's Unicode data, pinned to
/// the Unicode 15.1 assignments llama.cpp's tables were generated from.
/// </summary>
[Flags]
internal enum CodepointFlags : byte
{
    None = 0,
    Number = 1,
    Letter = 2,
    Separator = 4,
    Mark = 8,
    Punctuation = 16,
    Symbol = 32,
    Control = 64,
    Whitespace = 128,

    CategoryMask = 127,
}

internal static class UnicodeFlags
{
    public const int MaxCodepoint = 0x110000;

    private static readonly Lazy<byte[]> Table = new(Build);

    public static CodepointFlags Get(int cp) =>
        (uint)cp < MaxCodepoint ? (CodepointFlags)Table.Value[cp] : CodepointFlags.Control;

    public static bool IsWhitespace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>
    /// Codepoints .NET assigns (Unicode 16) that llama.cpp's tables (Unicode 15.1) leave
    /// unassigned. llama.cpp flags those "undefined": no category, not whitespace, which every
    /// matcher here treats exactly like <see cref="CodepointFlags.Control"/>.
    /// </summary>
    private static readonly (int First, int Last)[] AssignedAfterUnicode151 =
    [
        (0x00897, 0x00897), (0x01B4E, 0x01B4F), (0x01B7F, 0x01B7F), (0x01C89, 0x01C8A),
        (0x02427, 0x02429), (0x031E4, 0x031E5), (0x0A7CB, 0x0A7CD), (0x0A7DA, 0x0A7DC),
        (0x105C0, 0x105F3), (0x10D40, 0x10D65), (0x10D69, 0x10D85), (0x10D8E, 0x10D8F),
        (0x10EC2, 0x10EC4), (0x10EFC, 0x10EFC), (0x11380, 0x11389), (0x1138B, 0x1138B),
        (0x1138E, 0x1138E), (0x11390, 0x113B5), (0x113B7, 0x113C0), (0x113C2, 0x113C2),
        (0x113C5, 0x113C5), (0x113C7, 0x113CA), (0x113CC, 0x113D5), (0x113D7, 0x113D8),
        (0x113E1, 0x113E2), (0x116D0, 0x116E3), (0x11BC0, 0x11BE1), (0x11BF0, 0x11BF9),
        (0x11F5A, 0x11F5A), (0x13460, 0x143FA), (0x16100, 0x16139), (0x16D40, 0x16D79),
        (0x18CFF, 0x18CFF), (0x1CC00, 0x1CCF9), (0x1CD00, 0x1CEB3), (0x1E5D0, 0x1E5FA),
        (0x1E5FF, 0x1E5FF), (0x1F8B2, 0x1F8BB), (0x1F8C0, 0x1F8C1), (0x1FA89, 0x1FA89),
        (0x1FA8F, 0x1FA8F), (0x1FABE, 0x1FABE), (0x1FAC6, 0x1FAC6), (0x1FADC, 0x1FADC),
        (0x1FADF, 0x1FADF), (0x1FAE9, 0x1FAE9), (0x1FBCB, 0x1FBEF),
    ];

    private static byte[] Build()
    {
        var table = new byte[MaxCodepoint];
        for (var cp = 0; cp < MaxCodepoint; cp++)
        {
            var flags = cp is >= 0xD800 and <= 0xDFFF
                ? CodepointFlags.Control
                : Category(CharUnicodeInfo.GetUnicodeCategory(cp));
            if (IsWhitespace(cp)) flags |= CodepointFlags.Whitespace;
            table[cp] = (byte)flags;
        }
        foreach (var (first, last) in AssignedAfterUnicode151)
            for (var cp = first; cp <= last; cp++)
                table[cp] = (byte)CodepointFlags.Control;
        return table;
    }

    private static CodepointFlags Category(UnicodeCategory c) => c switch
    {
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            => CodepointFlags.Number,
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointFlags.Letter,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            => CodepointFlags.Separator,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            => CodepointFlags.Mark,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CodepointFlags.Punctuation,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
            or UnicodeCategory.OtherSymbol => CodepointFlags.Symbol,
        _ => CodepointFlags.Control,
    };

    /// <summary>Codepoints of a string (surrogate pairs joined; a lone surrogate becomes U+FFFD,
    /// as its UTF-8 encoding would).</summary>
    public static int[] Codepoints(ReadOnlySpan<char> s)
    {
        var result = new int[s.Length];
        var n = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result[n++] = char.ConvertToUtf32(c, s[i + 1]);
                i++;
            }
            else
            {
                result[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
            }
        }
        return n == result.Length ? result : result.AsSpan(0, n).ToArray();
    }
}
