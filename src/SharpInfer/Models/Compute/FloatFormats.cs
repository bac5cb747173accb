using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Models.Compute;

/// <summary>IEEE half and bfloat16 conversions with ggml's rounding (round to nearest even).</summary>
internal static class FloatFormats
{
    /// <summary>Every half value as a float: ggml keeps the same table (ggml_table_f32_f16).</summary>
    private static readonly float[] HalfTable = BuildHalfTable();

    private static float[] BuildHalfTable()
    {
        var t = new float[65536];
        for (var i = 0; i < t.Length; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    internal static ReadOnlySpan<float> HalfToFloatTable => HalfTable;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToFloat(ushort h) => HalfTable[h];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToHalf(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToFloat(ushort b) => BitConverter.Int32BitsToSingle(b << 16);

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBFloat16(float f)
    {
        var u = (uint)BitConverter.SingleToInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    public static unsafe void HalfToFloat(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
        fixed (ushort* s = src)
        fixed (float* d = dst)
            HalfToFloat(s, d, src.Length);
    }

    /// <summary>Exact half → float for <paramref name="count"/> values (infinities and NaNs included), 16 at a time where AVX-512 is available.</summary>
    public static unsafe void HalfToFloat(ushort* src, float* dst, int count)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            for (; i + 16 <= count; i += 16) ExactHalves(src + i).Store(dst + i);
        for (; i < count; i++) dst[i] = HalfTable[src[i]];
    }

    /// <summary>
    /// 16 finite halves as floats 2^112 times too small, in three operations: the sign-extended half shifted
    /// left by 13 holds the sign at bit 31 (and copies of it above the exponent, masked off) and the exponent
    /// and mantissa at float position. Exact for every finite half, subnormals included (they become float
    /// subnormals); infinities and NaNs come out finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector512<float> ScaledHalves(ushort* p)
    {
        var s = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)p));
        return ((s << 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }

    /// <summary>Half → float for 16 finite halves, exact: <see cref="ScaledHalves"/> × 2^112.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe Vector512<float> FiniteHalves(ushort* p) => ScaledHalves(p) * Vector512.Create(0x77800000).AsSingle();

    /// <summary>Half → float for 16 values, exact for every half (<see cref="FiniteHalves"/>, infinities and NaNs given the all-ones exponent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> ExactHalves(ushort* p)
    {
        var f = FiniteHalves(p);
        var em = Avx512F.ConvertToVector512UInt32(Vector256.Load(p)) & Vector512.Create(0x7fffu);
        var special = Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7c00u));
        return Vector512.ConditionalSelect(special.AsSingle(), (f.AsUInt32() | Vector512.Create(0x7f800000u)).AsSingle(), f);
    }


    /// <summary>
    /// Round to nearest even, as <see cref="FloatToHalf(float)"/> (and F16C's vcvtps2ph) does; 16 at a time
    /// where AVX-512 is available: the activations of every F16-weight product pass through here.
    /// </summary>
    public static unsafe void FloatToHalf(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
        var i = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            fixed (float* s = src)
            fixed (ushort* d = dst)
                for (; i + 16 <= src.Length; i += 16)
                    Avx512F.ConvertToVector256UInt16(FloatToHalf(Vector512.Load((uint*)(s + i)))).Store(d + i);
        for (; i < src.Length; i++) dst[i] = FloatToHalf(src[i]);
    }

    /// <summary>
    /// 16 floats (as bits) to halves in the low 16 bits of each lane, rounding to nearest even: values below
    /// the smallest normal half are rounded by a float addition that leaves them in a half's mantissa
    /// position; normal ones by adding 0xfff plus the kept mantissa's lowest bit (the carry may reach
    /// infinity, as it must); NaNs stay quiet NaNs with the top of their payload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> FloatToHalf(Vector512<uint> f)
    {
        var sign = f & Vector512.Create(0x80000000u);
        var a = f ^ sign;
        // below 2^-14: a + 0.5f puts the half's subnormal mantissa in the low bits, rounded by the FPU
        var small = (a.AsSingle() + Vector512.Create(0.5f)).AsUInt32() - Vector512.Create(0x3f000000u);
        var normal = (a + Vector512.Create(unchecked((uint)(-112 << 23)) + 0xfffu) + ((a >> 13) & Vector512<uint>.One)) >> 13;
        var special = Vector512.GreaterThan(a, Vector512.Create(0x7f800000u));
        var large = Vector512.ConditionalSelect(special, Vector512.Create(0x7e00u) | ((a >> 13) & Vector512.Create(0x3ffu)), Vector512.Create(0x7c00u));
        var h = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(113u << 23)), small, normal);
        h = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512.Create(0x47800000u)), large, h);
        return h | (sign >> 16);
    }

    public static void FloatToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        for (var i = 0; i < src.Length; i++) dst[i] = FloatToBFloat16(src[i]);
    }
}
