using System.Globalization;

namespace SharpInfer.Tokenizers;

/// <summary>
/// Per-codepoint classification as llama.cpp's unicode tables define it (gen-unicode-data.py):
/// one general-category group (\p{N}, \p{L}, \p{Z}, \p{M}, \p{P}, \p{S}, \p{C} with unassigned
/// counted as C) plus the White_Space property. We derive it from .NET's Unicode data.
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
