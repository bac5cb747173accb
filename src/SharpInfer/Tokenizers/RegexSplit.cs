using System.Text;
using System.Text.RegularExpressions;

namespace SharpInfer.Tokenizers;

/// <summary>
/// A pre-tokenizer regex run the way llama.cpp runs the ones it has no hand-written matcher for
/// (unicode_regex_split with std::regex). Patterns with \p{..} classes run on a "collapsed" text
/// where every codepoint ≥ 128 is replaced by one byte standing for its category (0xD1 number,
/// 0xD2 letter, 0xD3 punctuation, 0xD4 mark, 0xD5 symbol, 0x0B whitespace, 0xD0 anything else)
/// and each \p{X} by that byte plus its ASCII members; other patterns run on the codepoints
/// (std::wregex) with non-ASCII whitespace replaced by 0x0B. The ECMAScript pattern is
/// translated to .NET syntax with the same (ASCII-only) meaning of \s, \d, \w and $.
/// </summary>
internal sealed class RegexSplit : SplitStep
{
    // Placeholders for codepoints above the BMP (one .NET char each): inside / outside the one
    // character class of the pattern that lists supplementary ranges.
    private const char SupplementaryIn = '\uE000';
    private const char SupplementaryOut = '\uE001';

    private readonly Regex _regex;
    private readonly bool _collapsed;
    private readonly List<(int First, int Last)> _supplementary = [];

    public RegexSplit(string ecmaPattern)
    {
        _collapsed = UsesCategories(ecmaPattern);
        string pattern;
        if (_collapsed)
        {
            foreach (var ch in ecmaPattern)
                if (ch >= 128)
                    throw new NotSupportedException("regex includes both unicode categories and non-ASCII characters");
            pattern = ToDotNet(CollapsePattern(ecmaPattern));
        }
        else
        {
            pattern = ToDotNet(ecmaPattern);
        }
        _regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    private static readonly string[] CategoryNames = ["\\p{N}", "\\p{L}", "\\p{P}", "\\p{M}", "\\p{S}",
        "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}"];

    private static bool UsesCategories(string pattern)
    {
        foreach (var name in CategoryNames)
            if (pattern.Contains(name, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The collapsed char and the ASCII members (ECMAScript class syntax) of a category.</summary>
    private static (char Code, string Ascii)? Category(string name) => name switch
    {
        "\\p{N}" => ('\u00D1', "0-9"),
        "\\p{L}" or "\\p{Lu}" or "\\p{Ll}" or "\\p{Lt}" or "\\p{Lm}" or "\\p{Lo}" => ('\u00D2', "A-Za-z"),
        "\\p{P}" => ('\u00D3', "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"),
        "\\p{M}" => ('\u00D4', ""),
        "\\p{S}" => ('\u00D5', "\\$\\+<->^`\\|"),
        _ => null,
    };

    private static char CollapsedChar(int cp)
    {
        if (cp < 128) return (char)cp;
        var flags = UnicodeFlags.Get(cp);
        if ((flags & CodepointFlags.Whitespace) != 0) return '\u000B';
        return (flags & CodepointFlags.CategoryMask) switch
        {
            CodepointFlags.Number => '\u00D1',
            CodepointFlags.Letter => '\u00D2',
            CodepointFlags.Punctuation => '\u00D3',
            CodepointFlags.Mark => '\u00D4',
            CodepointFlags.Symbol => '\u00D5',
            _ => '\u00D0',
        };
    }

    /// <summary>Port of the pattern rewrite in unicode_regex_split.</summary>
    private static string CollapsePattern(string expr)
    {
        var sb = new StringBuilder();
        var inside = false;
        for (var i = 0; i < expr.Length; i++)
        {
            if (expr[i] == '[' && (i == 0 || expr[i - 1] != '\\'))
            {
                sb.Append('[');
                inside = true;
                continue;
            }
            if (inside && expr[i] == ']' && expr[i - 1] != '\\')
            {
                sb.Append(']');
                inside = false;
                continue;
            }
            if (expr[i] == '\\' && i + 3 < expr.Length && expr[i + 1] == 'p' && expr[i + 2] == '{')
            {
                var close = expr.IndexOf('}', i + 3);
                if (close >= 0 && close <= i + 10 && Category(expr.Substring(i, close - i + 1)) is { } cat)
                {
                    if (!inside) sb.Append('[');
                    sb.Append(cat.Code).Append(cat.Ascii);
                    if (!inside) sb.Append(']');
                    i = close;
                    continue;
                }
            }
            sb.Append(expr[i]);
        }
        return sb.ToString();
    }

    private const string SpaceClass = "\\t\\n\\x0B\\f\\r ";

    /// <summary>ECMAScript (as std::regex reads it, "C" locale) → .NET pattern with the same meaning.</summary>
    private string ToDotNet(string expr)
    {
        var cps = UnicodeFlags.Codepoints(expr);
        var sb = new StringBuilder();
        var inside = false;
        var classHasSupplementary = false;
        for (var i = 0; i < cps.Length; i++)
        {
            var c = cps[i];
            if (c == '\\' && i + 1 < cps.Length)
            {
                var e = cps[++i];
                switch (e)
                {
                    case 's': sb.Append(inside ? SpaceClass : "[" + SpaceClass + "]"); break;
                    case 'S':
                        if (inside) throw new NotSupportedException("\\S inside a class");
                        sb.Append("[^" + SpaceClass + "]");
                        break;
                    case 'd': sb.Append(inside ? "0-9" : "[0-9]"); break;
                    case 'D':
                        if (inside) throw new NotSupportedException("\\D inside a class");
                        sb.Append("[^0-9]");
                        break;
                    case 'w': sb.Append(inside ? "A-Za-z0-9_" : "[A-Za-z0-9_]"); break;
                    case 'W':
                        if (inside) throw new NotSupportedException("\\W inside a class");
                        sb.Append("[^A-Za-z0-9_]");
                        break;
                    case 'b': sb.Append(inside ? "\\b" : "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))"); break;
                    default: sb.Append('\\').Append(char.ConvertFromUtf32(e)); break;
                }
                continue;
            }
            if (!inside)
            {
                switch (c)
                {
                    case '[':
                        inside = true;
                        classHasSupplementary = false;
                        sb.Append('[');
                        if (i + 1 < cps.Length && cps[i + 1] == '^') { sb.Append('^'); i++; }
                        continue;
                    case '$': sb.Append("\\z"); continue;
                    case '^': sb.Append("\\A"); continue;
                    default: AppendLiteral(sb, c); continue;
                }
            }
            if (c == ']')
            {
                if (classHasSupplementary) sb.Append(SupplementaryIn);
                inside = false;
                sb.Append(']');
                continue;
            }
            // A class member: a single codepoint or a range.
            if (i + 2 < cps.Length && cps[i + 1] == '-' && cps[i + 2] != ']')
            {
                var last = cps[i + 2];
                if (last == '\\') throw new NotSupportedException("escaped range end");
                i += 2;
                if (last <= 0xFFFF)
                {
                    AppendLiteral(sb, c);
                    sb.Append('-');
                    AppendLiteral(sb, last);
                }
                else
                {
                    if (c <= 0xFFFF)
                    {
                        AppendLiteral(sb, c);
                        sb.Append("-\uFFFF");
                    }
                    AddSupplementary(Math.Max(c, 0x10000), last, ref classHasSupplementary);
                }
                continue;
            }
            if (c > 0xFFFF) AddSupplementary(c, c, ref classHasSupplementary);
            else AppendLiteral(sb, c);
        }
        return sb.ToString();
    }

    private void AddSupplementary(int first, int last, ref bool classHasSupplementary)
    {
        if (!classHasSupplementary && _supplementary.Count > 0)
            throw new NotSupportedException("only one character class may list codepoints above U+FFFF");
        classHasSupplementary = true;
        _supplementary.Add((first, last));
    }

    private static void AppendLiteral(StringBuilder sb, int c)
    {
        if (c > 0xFFFF) throw new NotSupportedException("codepoint above U+FFFF outside a character class");
        if (c is 0xE000 or 0xE001) throw new NotSupportedException("private-use placeholder in pattern");
        sb.Append((char)c);
    }

    private char WideChar(int cp)
    {
        if (cp > 0xFFFF)
        {
            foreach (var (first, last) in _supplementary)
                if (cp >= first && cp <= last) return SupplementaryIn;
            return SupplementaryOut;
        }
        if (cp is 0xE000 or 0xE001) return SupplementaryOut;
        if (cp > 0x7F && (UnicodeFlags.Get(cp) & CodepointFlags.Whitespace) != 0) return '\u000B';
        return (char)cp;
    }

    public override List<int> Split(int[] cpts, List<int> offsets)
    {
        // One .NET char per codepoint, so match positions are codepoint positions.
        var chars = new char[cpts.Length];
        for (var i = 0; i < cpts.Length; i++)
            chars[i] = _collapsed ? CollapsedChar(cpts[i]) : WideChar(cpts[i]);
        var text = new string(chars);

        var result = new List<int>(offsets.Count);
        var start = 0;
        foreach (var offset in offsets)
        {
            var segment = text.Substring(start, offset);
            var prev = 0;
            for (var m = _regex.Match(segment); m.Success; m = m.NextMatch())
            {
                if (m.Index > prev) result.Add(m.Index - prev);
                result.Add(m.Length);
                prev = m.Index + m.Length;
            }
            if (prev < offset) result.Add(offset - prev);
            start += offset;
        }
        return result;
    }
}
