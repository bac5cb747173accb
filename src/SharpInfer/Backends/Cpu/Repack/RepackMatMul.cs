using System.Runtime.CompilerServices;
using SharpInfer.Numerics;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// Matrix-vector and matrix-matrix products over weights in <see cref="RepackLayout"/> against
/// activations already quantized to Q8_0 (ggml's block_q8_0: fp16 d + 32 int8, one row of
/// <c>cols / 32</c> blocks per activation vector, as <c>Numerics.Kernels.ActivationQuantizer.QuantizeQ8_0</c>
/// writes them; the output layout is the forward pass's MatMul.Multiply layout, n × rows). Each output equals ggml's generic row-by-row
/// <c>vec_dot_q4_0_q8_0</c> / <c>vec_dot_q8_0_q8_0</c>: per block the exact integer sum scaled by
/// d_w and d_a (<c>sumi*d_w*d_a</c> for Q4_0, <c>sumi*(d_w*d_a)</c> for Q8_0), summed in float in block order. Activation quants must lie in [−127, 127].
/// </summary>
public static unsafe class RepackMatMul
{
    /// <summary>The path Gemv and Gemm use unless told otherwise.</summary>
    public static RepackKernelPath DefaultPath { get; } = RepackKernelPaths.Best;

    /// <summary>Bytes of one Q8_0 activation row of <paramref name="cols"/> values.</summary>
    public static int ActivationRowBytes(int cols) => cols / 32 * 34;

    /// <summary><c>output[r] = W[r,:] · x</c> for all <paramref name="rows"/> rows.</summary>
    public static void Gemv(GgmlType type, byte* weights, int rows, int cols, byte* activations, float* output) =>
        Gemv(type, weights, rows, cols, activations, output, DefaultPath);

    public static void Gemv(GgmlType type, byte* weights, int rows, int cols, byte* activations, float* output, RepackKernelPath path) =>
        GemvGroups(type, weights, cols, activations, output, 0, Groups(type, rows, cols), path);

    /// <summary>
    /// Rows <c>[8·firstGroup, 8·(firstGroup+groupCount))</c> only, for splitting one product over
    /// threads; <paramref name="output"/> is the whole output vector.
    /// </summary>
    public static void GemvGroups(GgmlType type, byte* weights, int cols, byte* activations, float* output,
        int firstGroup, int groupCount, RepackKernelPath path)
    {
        int nb = cols / 32;
        long groupBytes = (long)nb * RepackLayout.PackedBlockBytes(type);
        if (TakesNibbleBias(type, path))
        {
            RequireSupported(path);
            int* bias = NibbleBias(activations, 1, ActivationRowBytes(cols), nb);
            for (int g = firstGroup; g < firstGroup + groupCount; g++)
                RepackAvx512.GroupQ4_0(weights + g * groupBytes, activations, bias, nb, output + g * RepackLayout.Rows);
            return;
        }
        var kernel = Kernel(type, path);
        for (int g = firstGroup; g < firstGroup + groupCount; g++)
            kernel(weights + g * groupBytes, activations, nb, output + g * RepackLayout.Rows);
    }

    /// <summary>
    /// The kernels that take the activation's nibble bias 8·Σa per block (<see cref="NibbleBias"/>), computed once per
    /// activation row for all groups of rows: AVX-512 Q4_0.
    /// </summary>
    private static bool TakesNibbleBias(GgmlType type, RepackKernelPath path) => type == GgmlType.Q4_0 && path == RepackKernelPath.Avx512;

    [ThreadStatic] private static int[]? t_bias;

    /// <summary>
    /// <see cref="RepackAvx512.NibbleBias"/> of <paramref name="count"/> activation rows, nb apart, in this thread's
    /// buffer (pinned; valid until the thread's next product).
    /// </summary>
    private static int* NibbleBias(byte* activations, int count, int actBytes, int nb)
    {
        int need = count * nb;
        if (t_bias is null || t_bias.Length < need) t_bias = GC.AllocateUninitializedArray<int>(Math.Max(need, 1024), pinned: true);
        int* bias = (int*)Unsafe.AsPointer(ref t_bias[0]);
        for (int t = 0; t < count; t++) RepackAvx512.NibbleBias(activations + (long)t * actBytes, nb, bias + (long)t * nb);
        return bias;
    }

    /// <summary>
    /// <c>output[t·rows + r] = W[r,:] · x_t</c> for <paramref name="count"/> activation rows stored
    /// one after another (each <see cref="ActivationRowBytes"/> long).
    /// </summary>
    public static void Gemm(GgmlType type, byte* weights, int rows, int cols, byte* activations, int count, float* output) =>
        Gemm(type, weights, rows, cols, activations, count, output, DefaultPath);

    public static void Gemm(GgmlType type, byte* weights, int rows, int cols, byte* activations, int count, float* output, RepackKernelPath path) =>
        GemmGroups(type, weights, rows, cols, activations, count, output, 0, Groups(type, rows, cols), path);

    /// <summary>
    /// Only rows <c>[8·firstGroup, 8·(firstGroup+groupCount))</c> of a <see cref="Gemm(GgmlType, byte*, int, int, byte*, int, float*)"/>,
    /// for splitting one product over threads; <paramref name="output"/> is the whole <c>count × rows</c> output.
    /// </summary>
    public static void GemmGroups(GgmlType type, byte* weights, int rows, int cols, byte* activations, int count, float* output,
        int firstGroup, int groupCount, RepackKernelPath path)
    {
        bool q4Bias = TakesNibbleBias(type, path);
        if (q4Bias) RequireSupported(path);
        var kernel = q4Bias ? null : Kernel(type, path);
        int groups = Groups(type, rows, cols);
        if (firstGroup < 0 || groupCount < 0 || firstGroup + groupCount > groups)
            throw new ArgumentOutOfRangeException(nameof(groupCount), $"groups [{firstGroup}, {firstGroup + groupCount}) outside [0, {groups})");
        int nb = cols / 32;
        long groupBytes = (long)nb * RepackLayout.PackedBlockBytes(type);
        int actBytes = ActivationRowBytes(cols);
        // weights of one group stay in cache while every activation row passes over them; where a kernel takes four
        // activation rows at once it loads and unpacks each packed block once for the four (same bits per row)
        var kernel4 = Kernel4(type, path);
        int* bias = q4Bias ? NibbleBias(activations, count, actBytes, nb) : null;
        for (int g = firstGroup; g < firstGroup + groupCount; g++)
        {
            int t = 0;
            if (q4Bias)
            {
                for (; t + 4 <= count; t += 4)
                    RepackAvx512.GroupQ4_0x4(weights + g * groupBytes, activations + (long)t * actBytes, actBytes, bias + (long)t * nb, nb,
                        output + (long)t * rows + g * RepackLayout.Rows, rows);
                for (; t < count; t++)
                    RepackAvx512.GroupQ4_0(weights + g * groupBytes, activations + (long)t * actBytes, bias + (long)t * nb, nb,
                        output + (long)t * rows + g * RepackLayout.Rows);
                continue;
            }
            if (kernel4 != null)
                for (; t + 4 <= count; t += 4)
                    kernel4(weights + g * groupBytes, activations + (long)t * actBytes, actBytes, nb, output + (long)t * rows + g * RepackLayout.Rows, rows);
            for (; t < count; t++)
                kernel(weights + g * groupBytes, activations + (long)t * actBytes, nb, output + (long)t * rows + g * RepackLayout.Rows);
        }
    }

    private static int Groups(GgmlType type, int rows, int cols)
    {
        if (!RepackLayout.CanPack(type, cols, rows))
            throw new ArgumentException($"no repacked kernel for {type} [{cols} x {rows}]");
        return rows / RepackLayout.Rows;
    }

    private static delegate*<byte*, byte*, nint, int, float*, nint, void> Kernel4(GgmlType type, RepackKernelPath path) => (type, path) switch
    {
        (GgmlType.Q8_0, RepackKernelPath.Avx512) => &RepackAvx512.GroupQ8_0x4,
        _ => null,
    };

    private static void RequireSupported(RepackKernelPath path)
    {
        if (!RepackKernelPaths.IsSupported(path)) throw new PlatformNotSupportedException($"{path} is not supported by this CPU");
    }

    /// <summary>The one-group kernel of the types and paths that take no nibble bias (<see cref="TakesNibbleBias"/>).</summary>
    private static delegate*<byte*, byte*, int, float*, void> Kernel(GgmlType type, RepackKernelPath path)
    {
        RequireSupported(path);
        return (type, path) switch
        {
            (GgmlType.Q4_0, RepackKernelPath.Scalar) => &RepackScalar.GroupQ4_0,
            (GgmlType.Q4_0, RepackKernelPath.Avx2) => &RepackAvx2.GroupQ4_0,
            (GgmlType.Q8_0, RepackKernelPath.Scalar) => &RepackScalar.GroupQ8_0,
            (GgmlType.Q8_0, RepackKernelPath.Avx2) => &RepackAvx2.GroupQ8_0,
            (GgmlType.Q8_0, RepackKernelPath.Avx512) => &RepackAvx512.GroupQ8_0,
            _ => throw new ArgumentException($"no repacked kernel for {type}"),
        };
    }
}
