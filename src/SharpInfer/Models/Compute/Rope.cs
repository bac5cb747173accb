namespace SharpInfer.Models.Compute;

/// <summary>
/// Rotary position embedding as ggml's rope_f32 computes it (no YaRN): the angle for pair i at
/// position p is p · base^(-2i/n_rot), built by repeated multiplication in float exactly as
/// ggml_rope_cache_init does, divided by the optional frequency factor and scaled linearly.
/// </summary>
internal sealed class Rope
{
    private readonly int _nRot;
    private readonly RopeStyle _style;
    private readonly float _freqScale;
    private readonly float _thetaScale;
    private readonly float[]? _freqFactors;
    private readonly float[] _cache; // cos, sin interleaved per pair

    public Rope(int nRot, RopeStyle style, float freqBase, float freqScale, float[]? freqFactors)
    {
        _nRot = nRot;
        _style = style;
        _freqScale = freqScale;
        _thetaScale = MathF.Pow(freqBase, -2.0f / nRot);
        _freqFactors = freqFactors;
        _cache = new float[nRot];
    }

    /// <summary>Fills the cos/sin table for one position (ggml recomputes it per row too).</summary>
    public void SetPosition(int pos)
    {
        float theta = pos;
        for (var i0 = 0; i0 < _nRot; i0 += 2)
        {
            var ff = _freqFactors is null ? 1.0f : _freqFactors[i0 / 2];
            var t = _freqScale * (theta / ff);
            _cache[i0] = MathF.Cos(t);
            _cache[i0 + 1] = MathF.Sin(t);
            theta *= _thetaScale;
        }
    }

    /// <summary>Rotates one head in place with the angles of the last <see cref="SetPosition"/>; dimensions past n_rot are unchanged.</summary>
    public void Apply(Span<float> head)
    {
        var c = _cache;
        if (_style == RopeStyle.Normal)
        {
            for (var i0 = 0; i0 < _nRot; i0 += 2)
            {
                float cos = c[i0], sin = c[i0 + 1];
                float x0 = head[i0], x1 = head[i0 + 1];
                head[i0] = x0 * cos - x1 * sin;
                head[i0 + 1] = x0 * sin + x1 * cos;
            }
        }
        else
        {
            var half = _nRot / 2;
            for (var i0 = 0; i0 < _nRot; i0 += 2)
            {
                float cos = c[i0], sin = c[i0 + 1];
                var ic = i0 / 2;
                float x0 = head[ic], x1 = head[ic + half];
                head[ic] = x0 * cos - x1 * sin;
                head[ic + half] = x0 * sin + x1 * cos;
            }
        }
    }
}
