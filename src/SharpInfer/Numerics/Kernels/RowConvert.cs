using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// F32 ↔ F16 rows (ggml_cpu_fp32_to_fp16 / fp16_to_fp32; the KV cache and F16 weights). .NET exposes no F16C
/// intrinsics, so the vector paths use exact integer/float tricks: half → single by rebiasing the exponent
/// (a multiply by 2¹¹², exact, subnormals included); single → half by F. Giesen's round-to-nearest-even
/// construction (the FPU rounds subnormals through a magic add, normals are rounded in integer arithmetic).
/// Both are bit-identical to <see cref="Fp16"/> (System.Half), NaNs included (quiet, top payload bits kept).
/// </summary>
public static unsafe class RowConvert
{
    public static void ToHalf(ReadOnlySpan<float> x, Span<ushort> y) => ToHalfWith(CpuKernels.Best, x, y);

    public static void ToSingle(ReadOnlySpan<ushort> x, Span<float> y) => ToSingleWith(CpuKernels.Best, x, y);

    internal static void ToHalfWith(KernelIsa isa, ReadOnlySpan<float> x, Span<ushort> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("output shorter than input", nameof(y));
        CpuKernels.Require(isa);
        int n = x.Length, i = 0;
        fixed (float* px = x)
        fixed (ushort* py = y)
        {
            if (isa == KernelIsa.Avx512)
                for (; i + 16 <= n; i += 16)
                {
                    var h = SingleToHalf512(Vector512.Load((uint*)(px + i)));
                    Avx512F.ConvertToVector256UInt16(h).Store(py + i);
                }
            if (isa != KernelIsa.Scalar)
                for (; i + 8 <= n; i += 8)
                {
                    var h = SingleToHalf256(Vector256.Load((uint*)(px + i)));
                    var packed = Avx2.PackUnsignedSaturate(h.AsInt32(), h.AsInt32()); // [h0-3 h0-3 | h4-7 h4-7]
                    Avx2.Permute4x64(packed.AsUInt64(), 0b_00_00_10_00).AsUInt16().GetLower().Store(py + i);
                }
            for (; i < n; i++) py[i] = Fp16.FromFloat(px[i]);
        }
    }

    internal static void ToSingleWith(KernelIsa isa, ReadOnlySpan<ushort> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("output shorter than input", nameof(y));
        CpuKernels.Require(isa);
        int n = x.Length, i = 0;
        fixed (ushort* px = x)
        fixed (float* py = y)
        {
            if (isa == KernelIsa.Avx512)
                for (; i + 16 <= n; i += 16) Simd512.LoadHalves((byte*)(px + i)).Store(py + i);
            if (isa != KernelIsa.Scalar)
                for (; i + 8 <= n; i += 8) Simd256.LoadHalves((byte*)(px + i)).Store(py + i);
            for (; i < n; i++) py[i] = Fp16.ToFloat(px[i]);
        }
    }

    private static Vector256<uint> SingleToHalf256(Vector256<uint> u)
    {
        var sign = u & Vector256.Create(0x80000000u);
        var a = u ^ sign;
        // overflow / Inf / NaN
        var big = Vector256.GreaterThanOrEqual(a, Vector256.Create(0x47800000u));
        var nan = Vector256.GreaterThan(a, Vector256.Create(0x7f800000u));
        var special = Vector256.ConditionalSelect(nan, Vector256.Create(0x7e00u) | ((a & Vector256.Create(0x7fffffu)) >> 13), Vector256.Create(0x7c00u));
        // subnormal halves: let the FPU round by adding 0.5 (denorm magic), then take the low bits
        var sub = Vector256.LessThan(a, Vector256.Create(0x38800000u));
        var subResult = (a.AsSingle() + Vector256.Create(0x3f000000u).AsSingle()).AsUInt32() - Vector256.Create(0x3f000000u);
        // normals: rebias the exponent and round to nearest even in integer arithmetic
        var odd = (a >> 13) & Vector256.Create(1u);
        var normal = (a + Vector256.Create(0xc8000fffu) + odd) >> 13;
        var r = Vector256.ConditionalSelect(big, special, Vector256.ConditionalSelect(sub, subResult, normal));
        return r | (sign >> 16);
    }

    private static Vector512<uint> SingleToHalf512(Vector512<uint> u)
    {
        var sign = u & Vector512.Create(0x80000000u);
        var a = u ^ sign;
        var big = Vector512.GreaterThanOrEqual(a, Vector512.Create(0x47800000u));
        var nan = Vector512.GreaterThan(a, Vector512.Create(0x7f800000u));
        var special = Vector512.ConditionalSelect(nan, Vector512.Create(0x7e00u) | ((a & Vector512.Create(0x7fffffu)) >> 13), Vector512.Create(0x7c00u));
        var sub = Vector512.LessThan(a, Vector512.Create(0x38800000u));
        var subResult = (a.AsSingle() + Vector512.Create(0x3f000000u).AsSingle()).AsUInt32() - Vector512.Create(0x3f000000u);
        var odd = (a >> 13) & Vector512.Create(1u);
        var normal = (a + Vector512.Create(0xc8000fffu) + odd) >> 13;
        var r = Vector512.ConditionalSelect(big, special, Vector512.ConditionalSelect(sub, subResult, normal));
        return r | (sign >> 16);
    }
}
