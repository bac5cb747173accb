namespace SharpInfer.Models.Compute;

/// <summary>ggml_rms_norm followed by ggml_mul with the norm weight.</summary>
internal static class RmsNorm
{
    /// <summary>
    /// y = (x · 1/sqrt(mean(x²) + eps)) · w, as ggml computes it: squares in float summed in double,
    /// the mean narrowed to float, the scale in float, then two float multiplications.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y)
    {
        var n = x.Length;
        double sum = 0;
        for (var i = 0; i < n; i++) sum += x[i] * x[i];
        var mean = (float)(sum / n);
        var scale = 1.0f / MathF.Sqrt(mean + eps);
        for (var i = 0; i < n; i++) y[i] = x[i] * scale * w[i];
    }

    /// <summary>Applies <see cref="Apply"/> to each of the consecutive rows of length w.Length (in place allowed).</summary>
    public static void Rows(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y, int rows)
    {
        var n = w.Length;
        for (var r = 0; r < rows; r++) Apply(x.Slice(r * n, n), w, eps, y.Slice(r * n, n));
    }
}
