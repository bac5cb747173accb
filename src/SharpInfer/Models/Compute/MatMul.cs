using System.Runtime.InteropServices;
using SharpInfer.Numerics;

namespace SharpInfer.Models.Compute;

/// <summary>
/// The one seam through which the forward pass multiplies by a weight: y = W·x for a batch of
/// activation rows. As in ggml's mul_mat, the activations are first converted to the weight
/// type's vec_dot type (<see cref="ActivationType"/>), then every output is a dot product of a
/// weight row with a converted activation row. Placement can later route a weight to another
/// kernel here without the forward pass knowing.
/// </summary>
internal static unsafe class MatMul
{
    public static bool Supports(GgmlType weightType) =>
        weightType is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>ggml's type_traits_cpu[type].vec_dot_type.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 => GgmlType.F32,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        _ => throw new NotSupportedException($"matmul with {weightType} weights"),
    };

    /// <summary>Bytes one activation row of <paramref name="k"/> elements takes once converted for <paramref name="weightType"/>.</summary>
    public static long ActivationRowBytes(GgmlType weightType, int k) =>
        GgmlTypeInfo.Get(ActivationType(weightType)).RowBytes(k);

    /// <summary>Converts <paramref name="n"/> rows of <paramref name="k"/> floats to the activation type of <paramref name="weightType"/>.</summary>
    public static void ConvertActivations(GgmlType weightType, ReadOnlySpan<float> x, int n, int k, Span<byte> dst)
    {
        var rowBytes = (int)ActivationRowBytes(weightType, k);
        for (var t = 0; t < n; t++)
        {
            var src = x.Slice(t * k, k);
            var d = dst.Slice(t * rowBytes, rowBytes);
            switch (ActivationType(weightType))
            {
                case GgmlType.F32:
                    src.CopyTo(MemoryMarshal.Cast<byte, float>(d));
                    break;
                case GgmlType.F16:
                    FloatFormats.FloatToHalf(src, MemoryMarshal.Cast<byte, ushort>(d));
                    break;
                case GgmlType.BF16:
                    FloatFormats.FloatToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(d));
                    break;
            }
        }
    }

    /// <summary>
    /// y[t, r] = W[r] · x[t] for <paramref name="n"/> activation rows already converted by
    /// <see cref="ConvertActivations"/>; <paramref name="y"/> is n × Rows, row-major.
    /// </summary>
    public static void Multiply(WeightMatrix w, ReadOnlySpan<byte> activations, int n, Span<float> y)
    {
        var k = w.Columns;
        var m = w.Rows;
        var actRowBytes = ActivationRowBytes(w.Type, k);
        if (activations.Length < n * actRowBytes || y.Length < n * m)
            throw new ArgumentException("matmul buffers are too small");
        fixed (byte* a = activations)
        fixed (float* yp = y)
        {
            // Blocks of weight rows keep a few weight rows hot in cache while every token uses them.
            const int RowBlock = 16;
            for (var r0 = 0; r0 < m; r0 += RowBlock)
            {
                var r1 = Math.Min(m, r0 + RowBlock);
                for (var t = 0; t < n; t++)
                {
                    var act = a + t * actRowBytes;
                    var yr = yp + (long)t * m;
                    for (var r = r0; r < r1; r++) yr[r] = Dot(w.Type, w.Row(r), act, k);
                }
            }
        }
    }

    private static float Dot(GgmlType type, byte* weightRow, byte* act, int k) => type switch
    {
        GgmlType.F32 => DotKernels.F32((float*)weightRow, (float*)act, k),
        GgmlType.F16 => DotKernels.F16((ushort*)weightRow, (ushort*)act, k),
        GgmlType.BF16 => DotKernels.BF16((ushort*)weightRow, (ushort*)act, k),
        _ => throw new NotSupportedException($"matmul with {type} weights"),
    };
}
