using SharpInfer.Inference;
using SharpInfer.Numerics;

namespace SharpInfer.Models.Compute;

/// <summary>
/// Causal multi-head attention over the KV cache as llama.cpp computes it with flash attention
/// off: KQ = mul_mat(K, q) (q converted to F16 first when K is F16), softmax(KQ · scale + mask),
/// KQV = mul_mat(Vᵀ, probabilities) (probabilities converted to F16 when V is F16). Masked
/// positions contribute exact zeros in ggml, so only positions up to the query's own are visited:
/// the cost per token is linear in the context.
/// </summary>
internal sealed unsafe class Attention : IParallelWork
{
    private readonly int _nHead, _groupSize, _headK, _headV;
    private readonly float _scale;
    private readonly float[][] _scores; // per thread
    private readonly ushort[][] _half;
    private readonly WorkerPool _pool;

    // the current run (set by Run, read by every thread's Execute)
    private KvCache? _cache;
    private float[]? _q, _output;
    private int _layer, _p0, _n;

    public Attention(int nHead, int nHeadKv, int headK, int headV, int contextSize, WorkerPool pool)
    {
        _pool = pool;
        _nHead = nHead;
        _groupSize = nHead / nHeadKv;
        _headK = headK;
        _headV = headV;
        _scale = 1.0f / MathF.Sqrt(headK);
        _scores = new float[pool.Parallelism][];
        _half = new ushort[pool.Parallelism][];
        for (var i = 0; i < pool.Parallelism; i++)
        {
            _scores[i] = new float[contextSize];
            _half[i] = new ushort[Math.Max(contextSize, headK)];
        }
    }

    /// <summary>
    /// Writes k and v of <paramref name="n"/> tokens into the cache at positions p0…, then attends:
    /// q is n × (nHead·headK), output n × (nHead·headV).
    /// </summary>
    public void Run(KvCache cache, int layer, int p0, int n, float[] q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, float[] output)
    {
        Store(cache, layer, p0, n, k, v);
        (_cache, _layer, _p0, _n, _q, _output) = (cache, layer, p0, n, q, output);
        try
        {
            _pool.Run(this);
        }
        finally
        {
            (_cache, _q, _output) = (null, null, null);
        }
    }

    /// <summary>One thread's share: a range of query heads for every token of the batch.</summary>
    public void Execute(int part, int parts)
    {
        var (h0, h1) = WorkerPool.Share(_nHead, part, parts);
        if (h0 >= h1) return;
        var cache = _cache!;
        var layer = _layer;
        var p0 = _p0;
        var n = _n;
        var kW = cache.KeyWidth;
        var size = cache.Size;
        var kF32 = cache.KeysF32(layer);
        var kF16 = cache.KeysF16(layer);
        var vF32 = cache.ValuesF32(layer);
        var vF16 = cache.ValuesF16(layer);
        fixed (float* qp = _q, outp = _output, scores = _scores[part], kf = kF32, vf = vF32)
        fixed (ushort* half = _half[part], kh = kF16, vh = vF16)
        {
            for (var t = 0; t < n; t++)
            {
                var nKv = p0 + t + 1;
                for (var h = h0; h < h1; h++)
                {
                    var g = h / _groupSize;
                    var qh = qp + (long)t * _nHead * _headK + h * _headK;

                    // KQ
                    if (kf != null)
                    {
                        for (var j = 0; j < nKv; j++) scores[j] = DotKernels.F32(kf + (long)j * kW + g * _headK, qh, _headK);
                    }
                    else
                    {
                        FloatFormats.FloatToHalf(new ReadOnlySpan<float>(qh, _headK), new Span<ushort>(half, _headK));
                        for (var j = 0; j < nKv; j++) scores[j] = DotKernels.F16(kh + (long)j * kW + g * _headK, half, _headK);
                    }

                    Softmax(scores, nKv, _scale);

                    // KQV
                    var o = outp + (long)t * _nHead * _headV + h * _headV;
                    if (vf != null)
                    {
                        for (var d = 0; d < _headV; d++) o[d] = DotKernels.F32(vf + (long)(g * _headV + d) * size, scores, nKv);
                    }
                    else
                    {
                        FloatFormats.FloatToHalf(new ReadOnlySpan<float>(scores, nKv), new Span<ushort>(half, nKv));
                        for (var d = 0; d < _headV; d++) o[d] = DotKernels.F16(vh + (long)(g * _headV + d) * size, half, nKv);
                    }
                }
            }
        }
    }

    /// <summary>ggml_soft_max_ext with a causal mask: scale, subtract the max, exp, sum in double, multiply by 1/sum.</summary>
    private static void Softmax(float* s, int n, float scale)
    {
        var max = float.NegativeInfinity;
        for (var j = 0; j < n; j++)
        {
            s[j] *= scale;
            if (s[j] > max) max = s[j];
        }
        double sum = 0;
        for (var j = 0; j < n; j++)
        {
            var e = GgmlExp.Exp(s[j] - max);
            sum += e;
            s[j] = e;
        }
        var inv = (float)(1.0 / sum);
        for (var j = 0; j < n; j++) s[j] *= inv;
    }

    private static void Store(KvCache cache, int layer, int p0, int n, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        var kW = cache.KeyWidth;
        var vW = cache.ValueWidth;
        var size = cache.Size;
        if (cache.TypeK == GgmlType.F32)
            k[..(n * kW)].CopyTo(cache.KeysF32(layer).AsSpan(p0 * kW));
        else
            FloatFormats.FloatToHalf(k[..(n * kW)], cache.KeysF16(layer).AsSpan(p0 * kW));

        if (cache.TypeV == GgmlType.F32)
        {
            var vc = cache.ValuesF32(layer)!;
            for (var t = 0; t < n; t++)
            for (var c = 0; c < vW; c++)
                vc[c * size + p0 + t] = v[t * vW + c];
        }
        else
        {
            var vc = cache.ValuesF16(layer)!;
            for (var t = 0; t < n; t++)
            for (var c = 0; c < vW; c++)
                vc[c * size + p0 + t] = FloatFormats.FloatToHalf(v[t * vW + c]);
        }
    }
}
