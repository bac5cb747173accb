using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>512-bit building blocks of the AVX-512 kernels (two 32-value blocks per register).</summary>
internal static unsafe class Simd512
{
    /// <summary>
    /// [<paramref name="lower"/>, <paramref name="upper"/>] as one VINSERTI64X4 onto the lower half's register. (The JIT
    /// builds <c>Vector512.Create(lower, upper)</c> by inserting both halves into whatever register it picks, whose old
    /// contents the first insert keeps: a false dependency that chains a kernel's loop iterations.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Join<T>(Vector256<T> lower, Vector256<T> upper) =>
        Avx512F.InsertVector256(lower.AsByte().ToVector512Unsafe(), upper.AsByte(), 1).As<byte, T>();

    /// <summary>
    /// Word i = <paramref name="scales"/>[<paramref name="first"/> + i / 8]: four consecutive int16 scales, each over eight
    /// lanes (one VPERMW) — the scales of a register of pair sums over 16-value sub-blocks (Q2_K, Q3_K, Q6_K).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> SpreadScales(Vector512<short> scales, int first) => Avx512BW.PermuteVar32x16(scales,
        Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)
        + Vector512.Create((short)first));

    /// <summary>Nibbles of two blocks: [a low, a high, b low, b high] (16 bytes each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Nibbles(byte* a, byte* b) => Join(Simd256.Nibbles(a), Simd256.Nibbles(b));

    /// <summary>Two 32-byte activation blocks side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Load2(sbyte* a, sbyte* b) => Join(Vector256.Load(a), Vector256.Load(b));

    /// <summary>Four-byte group sums of u·s (16 int32 lanes), VPMADDUBSW + VPMADDWD (512-bit VPDPBUSD is not exposed by .NET).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotU8I8(Vector512<byte> u, Vector512<sbyte> s) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), Vector512.Create((short)1));

    /// <summary>Pair products u·s in int16 (VPMADDUBSW), before the int32 widening.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> PairsU8I8(Vector512<byte> u, Vector512<sbyte> s) => Avx512BW.MultiplyAddAdjacent(u, s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> WidenPairs(Vector512<short> p) => Avx512BW.MultiplyAddAdjacent(p, Vector512.Create((short)1));

    /// <summary>Signed·signed: |x| · (y negated where x &lt; 0); <paramref name="y"/> must avoid −128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotI8(Vector512<sbyte> x, Vector512<sbyte> y)
    {
        var neg = Vector512.LessThan(x, Vector512<sbyte>.Zero);
        var sy = Vector512.ConditionalSelect(neg, Vector512<sbyte>.Zero - y, y);
        return DotU8I8(Vector512.Abs(x).AsByte(), sy);
    }

    /// <summary>Per-half broadcast: lanes 0–7 = <paramref name="a"/>, 8–15 = <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Halves(float a, float b) => Avx512F.InsertVector256(Vector512.Create(a), Vector256.Create(b), 1);

    /// <summary>Sum of 16 lanes: upper + lower 256 bits, then <see cref="Simd256.HSum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSum(Vector512<float> x) => Simd256.HSum(x.GetUpper() + x.GetLower());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HalfToSingle(Vector512<uint> h)
    {
        var em = h & Vector512.Create(0x7fffu);
        var sign = (h & Vector512.Create(0x8000u)) << 16;
        var f = (em << 13).AsSingle() * Vector512.Create(0x77800000u).AsSingle();
        var infNan = Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7c00u));
        var special = ((em << 13) | Vector512.Create(0x7f800000u)).AsSingle();
        return (Vector512.ConditionalSelect(infNan.AsSingle(), special, f).AsUInt32() | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadHalves(byte* p) => HalfToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16(byte* p) => (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)) << 16).AsSingle();
}
