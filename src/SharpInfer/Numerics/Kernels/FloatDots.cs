using System.Buffers.Binary;

namespace SharpInfer.Numerics.Kernels;

/// <summary>
/// ggml's scalar <c>ggml_vec_dot_f32/f16/bf16</c>: each product is formed in float and the sum is kept in
/// double (<c>ggml_float</c>), then rounded to float once.
/// </summary>
internal static class FloatDots
{
    public static float F32(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += BinaryPrimitives.ReadSingleLittleEndian(x.Slice(4 * i, 4)) * BinaryPrimitives.ReadSingleLittleEndian(y.Slice(4 * i, 4));
        return (float)sum;
    }

    public static float F16(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Fp16.Read(x, 2 * i) * Fp16.Read(y, 2 * i);
        return (float)sum;
    }

    public static float Bf16(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Bf16Conv(x, i) * Bf16Conv(y, i);
        return (float)sum;
    }

    private static float Bf16Conv(ReadOnlySpan<byte> b, int i) => SharpInfer.Numerics.Bf16.Read(b, 2 * i);
}
