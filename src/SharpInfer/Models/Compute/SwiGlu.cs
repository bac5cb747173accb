namespace SharpInfer.Models.Compute;

/// <summary>
/// ggml_swiglu over one row: silu(gate) · up. Like ggml's ggml_vec_swiglu_f32, whole SIMD widths
/// use the vector exp (<see cref="GgmlExp"/>) and the tail of the row uses the C library's expf.
/// </summary>
internal static class SwiGlu
{
    public static void Row(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        var n = y.Length;
        var vectorEnd = n - n % GgmlExp.LaneWidth;
        unsafe
        {
            fixed (float* g = gate)
            fixed (float* u = up)
            fixed (float* o = y)
                GgmlExp.SwiGlu(g, u, o, vectorEnd);
        }
        for (var i = vectorEnd; i < n; i++)
        {
            var g = gate[i];
            y[i] = g / (1.0f + MathF.Exp(-g)) * up[i];
        }
    }

    public static void Rows(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y, int rows)
    {
        var n = y.Length / rows;
        for (var r = 0; r < rows; r++) Row(gate.Slice(r * n, n), up.Slice(r * n, n), y.Slice(r * n, n));
    }
}
