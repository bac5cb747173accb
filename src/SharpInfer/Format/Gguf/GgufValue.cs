using System.Globalization;
using System.Text;

namespace SharpInfer.Format.Gguf;

/// <summary>
/// One metadata value. Scalars hold a boxed primitive, strings a <see cref="string"/>, arrays a
/// <see cref="GgufArray"/>. Typed accessors convert between integer widths where the value fits.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    public GgufValue(GgufValueType type, object value)
    {
        Type = type;
        Value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>byte, sbyte, ushort, short, uint, int, float, bool, string, <see cref="GgufArray"/>, ulong, long or double.</summary>
    public object Value { get; }

    public static GgufValue Of(string s) => new(GgufValueType.String, s);
    public static GgufValue Of(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue Of(int v) => new(GgufValueType.Int32, v);
    public static GgufValue Of(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue Of(long v) => new(GgufValueType.Int64, v);
    public static GgufValue Of(float v) => new(GgufValueType.Float32, v);
    public static GgufValue Of(double v) => new(GgufValueType.Float64, v);
    public static GgufValue Of(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue Of(GgufArray a) => new(GgufValueType.Array, a);

    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    public string AsString() => Value as string ?? throw Mismatch("a string");

    public bool AsBool() => Value is bool b ? b : throw Mismatch("a bool");

    public GgufArray AsArray() => Value as GgufArray ?? throw Mismatch("an array");

    /// <summary>Any integer type as a long (uint64 values above long.MaxValue are refused).</summary>
    public long AsInt64() => Value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw Mismatch("an integer"),
    };

    /// <summary>Any float or integer type as a double.</summary>
    public double AsDouble() => Value switch
    {
        float f => f, double d => d,
        _ when IsInteger => AsInt64(),
        _ => throw Mismatch("a number"),
    };

    private InvalidDataException Mismatch(string wanted) =>
        new($"metadata value of type {Type} is not {wanted}");

    public bool Equals(GgufValue? other) =>
        other is not null && other.Type == Type && (Value is GgufArray a ? a.Equals(other.Value) : Value.Equals(other.Value));

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() => HashCode.Combine(Type, Value);

    /// <summary>A short human-readable rendering; arrays show their first items and the count.</summary>
    public string ToDisplayString(int maxArrayItems = 8) => Value switch
    {
        string s => Quote(s),
        GgufArray a => a.ToDisplayString(maxArrayItems),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "",
    };

    public override string ToString() => ToDisplayString();

    internal static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c < ' ') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}

/// <summary>
/// A metadata array: its element type and its items, stored as a typed CLR array (byte[], int[],
/// float[], string[], GgufArray[] …) so large vocabularies cost no boxing.
/// </summary>
public sealed class GgufArray : IEquatable<GgufArray>
{
    public GgufArray(GgufValueType elementType, Array items)
    {
        ElementType = elementType;
        Items = items;
    }

    public GgufValueType ElementType { get; }
    public Array Items { get; }
    public int Count => Items.Length;

    public static GgufArray Of(string[] items) => new(GgufValueType.String, items);
    public static GgufArray Of(float[] items) => new(GgufValueType.Float32, items);
    public static GgufArray Of(int[] items) => new(GgufValueType.Int32, items);

    public string[] AsStrings() => Items as string[] ?? throw new InvalidDataException($"array of {ElementType} is not an array of strings");
    public float[] AsFloats() => Items as float[] ?? throw new InvalidDataException($"array of {ElementType} is not an array of float32");

    /// <summary>Integer items of any width as int (token types, merges ids …).</summary>
    public int[] AsInt32s()
    {
        if (Items is int[] i) return i;
        var result = new int[Count];
        for (var k = 0; k < result.Length; k++)
            result[k] = Convert.ToInt32(Items.GetValue(k), CultureInfo.InvariantCulture);
        return result;
    }

    public bool Equals(GgufArray? other)
    {
        if (other is null || other.ElementType != ElementType || other.Count != Count) return false;
        for (var i = 0; i < Count; i++)
            if (!Equals(Items.GetValue(i), other.Items.GetValue(i))) return false;
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as GgufArray);
    public override int GetHashCode() => HashCode.Combine(ElementType, Count);

    public string ToDisplayString(int maxItems)
    {
        var sb = new StringBuilder("[");
        var shown = Math.Min(maxItems, Count);
        for (var i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append(", ");
            var item = Items.GetValue(i)!;
            sb.Append(item switch
            {
                string s => GgufValue.Quote(s),
                GgufArray a => a.ToDisplayString(maxItems),
                _ => new GgufValue(ElementType, item).ToDisplayString(),
            });
        }
        if (shown < Count) sb.Append(shown > 0 ? ", " : "").Append("...");
        sb.Append(']');
        if (shown < Count) sb.Append(CultureInfo.InvariantCulture, $" ({Count} items of {ElementType})");
        return sb.ToString();
    }
}
