using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>256-bit building blocks shared by the AVX2 kernels (the same tricks as ggml-cpu's x86 <c>quants.c</c>).</summary>
internal static unsafe class Simd256
{
    /// <summary>
    /// Every half's float value (256 KiB, like ggml's <c>ggml_table_f32_f16</c>): .NET has no F16C intrinsic and the
    /// software conversion costs more than the rest of a 32-value block dot. Exact (built from System.Half).
    /// </summary>
    private static readonly float* HalfTable = BuildHalfTable();

    private static float* BuildHalfTable()
    {
        var t = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Half(byte* p) => HalfTable[*(ushort*)p];

    /// <summary>32 nibbles of 16 bytes as 32 bytes 0..15: low nibbles (elements 0–15), then high nibbles (16–31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(byte* p)
    {
        var q = Vector128.Load(p);
        var hi = Vector128.ShiftRightLogical(q.AsUInt16(), 4).AsByte();
        return Vector256.Create(q, hi) & Vector256.Create((byte)0x0F);
    }

    /// <summary>
    /// Four-byte group sums of u·s as 8 int32 lanes (lane k = bytes 4k..4k+3). VPDPBUSD where available, else
    /// VPMADDUBSW + VPMADDWD; identical results as long as no byte pair exceeds the int16 range (u ≤ 128, |s| ≤ 127).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotU8I8(Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
    }

    /// <summary>Signed·signed group sums by ggml's sign trick: |x| · (y with x's sign). <paramref name="y"/> must avoid −128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotI8(Vector256<sbyte> x, Vector256<sbyte> y) =>
        DotU8I8(Avx2.Abs(x), Avx2.Sign(y, x));

    /// <summary>ggml's <c>hsum_float_8</c>: (hi + lo) 4 lanes, then (0+2) + (1+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSum(Vector256<float> x)
    {
        var r = x.GetUpper() + x.GetLower();
        r += Sse.MoveHighToLow(r, r);
        r = Sse.AddScalar(r, Sse3.MoveHighAndDuplicate(r));
        return r.ToScalar();
    }

    /// <summary>
    /// <see cref="HSum"/> of two vectors x and y at once, bit for bit, from <paramref name="uppers"/> = [x's upper 128 |
    /// y's upper 128] and <paramref name="lowers"/> = [x's lower | y's lower]: each step adds the same operands in the same
    /// order, in both 128-bit halves at once (a generation kernel's 4 rows: 10 operations fewer per pair of rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float X, float Y) HSum2(Vector256<float> uppers, Vector256<float> lowers)
    {
        var r = uppers + lowers;
        r += Avx.Permute(r, 0b11_10_11_10);      // movehl in each half: lanes 2, 3 onto 0, 1
        r += Avx.DuplicateOddIndexed(r);          // movehdup in each half
        return (r.ToScalar(), r.GetElement(4));
    }

    /// <summary><see cref="HSum"/> of a and b, bit for bit, through <see cref="HSum2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float A, float B) HSumPair(Vector256<float> a, Vector256<float> b) =>
        HSum2(Avx.Permute2x128(a, b, 0x31), Avx.Permute2x128(a, b, 0x20));

    /// <summary>ggml's <c>bytes_from_bits_32</c>: bit j of <paramref name="bits"/> → byte j = 0xFF if set, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> BytesFromBits(uint bits)
    {
        var shuf = Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte();
        var bytes = Avx2.Shuffle(Vector256.Create(bits).AsByte(), shuf);
        bytes |= Vector256.Create(0x7fbfdfeff7fbfdfeUL).AsByte();
        return Vector256.Equals(bytes, Vector256<byte>.AllBitsSet);
    }

    /// <summary>Exact IEEE half → single conversion of 8 values held in the low 16 bits of each lane (finite inputs; Inf/NaN keep their class).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToSingle(Vector256<uint> h)
    {
        var em = h & Vector256.Create(0x7fffu);
        var sign = (h & Vector256.Create(0x8000u)) << 16;
        // em << 13 has the half's exponent biased by 127 − 15 too low; multiplying by 2^112 fixes it exactly, subnormals included.
        var f = (em << 13).AsSingle() * Vector256.Create(0x77800000u).AsSingle();
        var infNan = Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7c00u));
        var special = ((em << 13) | Vector256.Create(0x7f800000u)).AsSingle();
        return (Vector256.ConditionalSelect(infNan.AsSingle(), special, f).AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHalves(byte* p) => HalfToSingle(Avx2.ConvertToVector256Int32((ushort*)p).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(byte* p) => (Avx2.ConvertToVector256Int32((ushort*)p).AsUInt32() << 16).AsSingle();
}
