using SharpInfer.Numerics.Threading;
using System.Runtime.Intrinsics;
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
    private readonly float[]?[] _keysF32, _valuesF32, _vector; // per thread, for ConvertedF16 (allocated on first use)
    private readonly int _contextSize;
    private readonly WorkerPool _pool;

    // the current run (set by Run, read by every thread's Execute)
    private KvCache? _cache;
    private float[]? _q, _output;
    private int _layer, _p0, _n;

    /// <summary>
    /// Heads, head sizes and the cache size (positions) of the model; <paramref name="f16Cache"/>: whether the cache
    /// holds F16 keys and values, so that the per-thread float copies of <see cref="ConvertedF16"/> are allocated here,
    /// not at the first token that needs them (decoding allocates nothing per token).
    /// </summary>
    public Attention(int nHead, int nHeadKv, int headK, int headV, int contextSize, WorkerPool pool, bool f16Cache = false)
    {
        _pool = pool;
        _nHead = nHead;
        _groupSize = nHead / nHeadKv;
        _headK = headK;
        _headV = headV;
        _scale = 1.0f / MathF.Sqrt(headK);
        _scores = new float[pool.ThreadCount][];
        _half = new ushort[pool.ThreadCount][];
        _keysF32 = new float[pool.ThreadCount][];
        _valuesF32 = new float[pool.ThreadCount][];
        _vector = new float[pool.ThreadCount][];
        _contextSize = contextSize;
        for (var i = 0; i < pool.ThreadCount; i++)
        {
            _scores[i] = new float[contextSize];
            _half[i] = new ushort[Math.Max(contextSize, headK)];
            if (!f16Cache) continue;
            int positions = ConvertedPositions;
            _keysF32[i] = new float[positions * headK];
            _valuesF32[i] = new float[headV * positions];
            _vector[i] = new float[Math.Max(headK, positions)];
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

    /// <summary>Whether products over an F16 cache take <see cref="ConvertedF16"/> (tests compare it with the per-dot path).</summary>
    internal static bool ConvertF16Batches = true;

    /// <summary>One thread's share: a range of query heads for every token of the batch.</summary>
    public void Execute(int part, int parts)
    {
        var (h0, h1) = ParallelWork.Share(_nHead, part, parts);
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
            // ggml's view of the cache is n_kv cells long (see KvRowLength); masked cells give exact
            // zeros, but the row length decides which summation ggml's kernels use.
            var nRow = KvRowLength(p0 + n, size);
            // llamafile's sgemm serves mul_mat for two or more tokens when k is a multiple of 16 (and m of 4)
            var tinyBlasKq = n >= 2 && _headK % 16 == 0;
            var tinyBlasKqv = n >= 2 && nRow % 16 == 0 && _headV % 4 == 0;
            // Both products in tinyBLAS's order (batches) or both in vec_dot_f16's (one token): each K/V group once to float.
            var sameOrder = (tinyBlasKq && tinyBlasKqv) || n == 1;
            if (kh != null && vh != null && sameOrder && ConvertF16Batches && p0 + n <= MaxConvertedPositions)
            {
                ConvertedF16(part, h0, h1, kh, vh, kW, size, nRow, scores, half, qp, outp, tinyBlas: n >= 2);
                return;
            }
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
                        // Batches: ggml_vec_dot_f32 (q is a permuted, non-contiguous view, so llamafile's sgemm
                        // declines KQ). One token keeps our own order: ggml's made micro-llama-Q2_K's greedy
                        // step 11 flip a Q8 activation, for a reason not found yet.
                        if (n == 1)
                            for (var j = 0; j < nKv; j++) scores[j] = DotKernels.F32(kf + (long)j * kW + g * _headK, qh, _headK);
                        else
                            for (var j = 0; j < nKv; j++) scores[j] = GgmlSums.F32VecDot(kf + (long)j * kW + g * _headK, qh, _headK);
                    }
                    else
                    {
                        FloatFormats.FloatToHalf(new ReadOnlySpan<float>(qh, _headK), new Span<ushort>(half, _headK));
                        if (tinyBlasKq)
                            for (var j = 0; j < nKv; j++) scores[j] = GgmlSums.F16TinyBlas(kh + (long)j * kW + g * _headK, half, _headK);
                        else
                            for (var j = 0; j < nKv; j++) scores[j] = GgmlSums.F16VecDot(kh + (long)j * kW + g * _headK, half, _headK, _headK);
                    }

                    Softmax(scores, nKv, nRow, _scale);

                    // KQV
                    var o = outp + (long)t * _nHead * _headV + h * _headV;
                    if (vf != null)
                    {
                        // the masked cells are exact zeros in ggml's row of nRow cells; zeros never change a sum,
                        // so tinyBLAS needs the row only up to the last 16-chunk that holds a valid cell
                        for (var j = nKv; j < nRow; j++) scores[j] = 0;
                        if (tinyBlasKqv)
                            for (var d = 0; d < _headV; d++) o[d] = GgmlSums.F32TinyBlas(vf + (long)(g * _headV + d) * size, scores, (nKv + 15) & ~15);
                        else if (n == 1)
                            for (var d = 0; d < _headV; d++) o[d] = DotKernels.F32(vf + (long)(g * _headV + d) * size, scores, nKv);
                        else
                            for (var d = 0; d < _headV; d++) o[d] = GgmlSums.F32VecDot(vf + (long)(g * _headV + d) * size, scores, nRow);
                    }
                    else
                    {
                        FloatFormats.FloatToHalf(new ReadOnlySpan<float>(scores, nKv), new Span<ushort>(half, nKv));
                        if (tinyBlasKqv)
                            for (var d = 0; d < _headV; d++) o[d] = GgmlSums.F16TinyBlas(vh + (long)(g * _headV + d) * size, half, nKv);
                        else
                            for (var d = 0; d < _headV; d++) o[d] = GgmlSums.F16VecDot(vh + (long)(g * _headV + d) * size, half, nKv, nRow);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The F16-cache path: each key/value group is converted to float once per call (and shared by the group's query
    /// heads) instead of inside every dot product, then every product runs in ggml's order on the converted values:
    /// tinyBLAS's for batches (<see cref="GgmlSums.F32TinyBlas"/>; masked cells past a query's own position are zeros
    /// there, here the padded tail of the probabilities is zero), vec_dot_f16's for one token. Products of two halves
    /// are exact in float, so this is bit-identical to the per-dot <see cref="GgmlSums.F16TinyBlas"/>/<see cref="GgmlSums.F16VecDot"/>.
    /// </summary>
    private void ConvertedF16(int part, int h0, int h1, ushort* kh, ushort* vh, int kW, int size, int nRow,
                              float* scores, ushort* half, float* qp, float* outp, bool tinyBlas)
    {
        int n = _n, p0 = _p0, nAll = p0 + n;
        // whole 64-blocks of zeros past the last position: one token's value products run without a partial block
        int stride = (nAll + 63) & ~63;
        int positions = ConvertedPositions;
        var keys = Grow(ref _keysF32[part], nAll * _headK, positions * _headK);
        var values = Grow(ref _valuesF32[part], _headV * stride, _headV * positions);
        var vector = Grow(ref _vector[part], Math.Max(_headK, stride), Math.Max(_headK, positions));
        fixed (float* kf = keys, vf = values, vec = vector)
        {
            int lastGroup = -1;
            for (var h = h0; h < h1; h++)
            {
                var g = h / _groupSize;
                if (g != lastGroup)
                {
                    for (var j = 0; j < nAll; j++)
                        FloatFormats.HalfToFloat(kh + (long)j * kW + g * _headK, kf + (long)j * _headK, _headK);
                    for (var d = 0; d < _headV; d++)
                    {
                        float* dst = vf + (long)d * stride;
                        FloatFormats.HalfToFloat(vh + (long)(g * _headV + d) * size, dst, nAll);
                        for (var j = nAll; j < stride; j++) dst[j] = 0;
                    }
                    lastGroup = g;
                }
                for (var t = 0; t < n; t++)
                {
                    var nKv = p0 + t + 1;
                    var qh = qp + (long)t * _nHead * _headK + h * _headK;
                    FloatFormats.FloatToHalf(new ReadOnlySpan<float>(qh, _headK), new Span<ushort>(half, _headK));
                    FloatFormats.HalfToFloat(half, vec, _headK);
                    if (tinyBlas)
                        GgmlSums.F32TinyBlasRows(kf, _headK, vec, _headK, nKv, scores);
                    else
                        for (var j = 0; j < nKv; j++) scores[j] = GgmlSums.F16VecDotOnFloats(kf + (long)j * _headK, vec, _headK, _headK);

                    Softmax(scores, nKv, nRow, _scale);

                    var padded = (nKv + 15) & ~15;
                    FloatFormats.FloatToHalf(new ReadOnlySpan<float>(scores, nKv), new Span<ushort>(half, nKv));
                    FloatFormats.HalfToFloat(half, vec, nKv);
                    for (var j = nKv; j < ((nKv + 63) & ~63); j++) vec[j] = 0;
                    var o = outp + (long)t * _nHead * _headV + h * _headV;
                    if (tinyBlas)
                        GgmlSums.F32TinyBlasRows(vf, stride, vec, padded, _headV, o);
                    else
                        for (var d = 0; d < _headV; d++) o[d] = GgmlSums.F16VecDotOnZeroPaddedFloats(vf + (long)d * stride, vec, nKv, nRow);
                }
            }
        }
    }

    /// <summary>
    /// Per-thread scratch, allocated on first use for every position this context can convert (its size, at most
    /// <see cref="MaxConvertedPositions"/>): growing it as positions fill would allocate while tokens are decoded.
    /// </summary>
    private static float[] Grow(ref float[]? buffer, int length, int capacity)
    {
        if (buffer == null || buffer.Length < length) buffer = new float[Math.Max(length, capacity)];
        return buffer;
    }

    private int ConvertedPositions => (Math.Min(_contextSize, MaxConvertedPositions) + 63) & ~63;

    /// <summary>Beyond this many cached positions batches take the per-dot path (the float copies would cost too much memory).</summary>
    internal const int MaxConvertedPositions = 32768;

    /// <summary>
    /// llama_kv_cache::get_n_kv: the cells up to the highest used one, padded to 256, at least 256,
    /// at most the cache size.
    /// </summary>
    internal static int KvRowLength(int used, int cacheSize)
    {
        const int pad = 256;
        var padded = (used + pad - 1) / pad * pad;
        return Math.Min(cacheSize, Math.Max(pad, padded));
    }

    /// <summary>
    /// ggml_soft_max_ext with a causal mask over a row of <paramref name="nRow"/> cells of which the
    /// first <paramref name="n"/> are unmasked: scale, max, exp, sum, multiply by 1/sum. The sum follows
    /// ggml_vec_soft_max_f32 on AVX-512: each 16-cell chunk is summed in float (_mm512_reduce_add_ps) and
    /// added to a double; cells past the last whole chunk use the C library's expf, one by one.
    /// </summary>
    private static void Softmax(float* s, int n, int nRow, float scale)
    {
        var max = float.NegativeInfinity;
        for (var j = 0; j < n; j++)
        {
            s[j] *= scale;
            if (s[j] > max) max = s[j];
        }
        var vectorEnd = Math.Min(n, nRow & ~15);
        GgmlExp.ExpInPlace(s, vectorEnd, max);
        for (var j = vectorEnd; j < n; j++) s[j] = MathF.Exp(s[j] - max);
        double sum = 0;
        var c = 0;
        for (; c + 16 <= vectorEnd; c += 16)
            sum += GgmlSums.ReduceAdd512(Vector256.Load(s + c), Vector256.Load(s + c + 8));
        if (c < vectorEnd)
        {
            var lanes = stackalloc float[16];
            for (var j = 0; j < 16; j++) lanes[j] = c + j < vectorEnd ? s[c + j] : 0f;
            sum += GgmlSums.ReduceAdd512(Vector256.Load(lanes), Vector256.Load(lanes + 8));
        }
        for (var j = vectorEnd; j < n; j++) sum += s[j];
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
