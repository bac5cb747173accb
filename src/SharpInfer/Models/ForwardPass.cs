using SharpInfer.Numerics.Threading;
using SharpInfer.Inference;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;

namespace SharpInfer.Models;

/// <summary>
/// The decoder-only transformer forward pass (llama.cpp's llm_build_llama / qwen2 / qwen3 graphs)
/// for one physical batch, with every buffer allocated once for the largest batch.
/// The architecture description decides the optional parts (biases, q/k norm, RoPE style).
/// </summary>
internal sealed class ForwardPass
{
    private readonly Hyperparameters _hp;
    private readonly ModelWeights _w;
    private readonly KvCache _cache;
    private readonly Rope _rope;
    private readonly Attention _attention;
    private readonly int _maxTokens;
    private readonly MatMul.Runner _matMul;
    private readonly RowWork _rowWork;

    private readonly float[] _x, _cur, _q, _k, _v, _attn, _proj, _gate, _up;
    private readonly byte[] _act;
    private GgmlType? _actType; // the vec_dot type _act currently holds, so q/k/v and gate/up share one conversion

    private readonly Backends.Gpu.Offload.GpuSession? _gpu; // runs layers from _gpu.FirstLayer on

    public ForwardPass(Model model, KvCache cache, int maxTokens, WorkerPool pool, Backends.Gpu.Offload.GpuSession? gpu = null)
    {
        _gpu = gpu;
        _hp = model.Hyperparameters;
        _w = model.Weights;
        _cache = cache;
        _maxTokens = maxTokens;
        _matMul = new MatMul.Runner(pool);
        _rowWork = new RowWork(pool);
        var hp = _hp;
        _rope = new Rope(hp.RopeDimensionCount, model.Architecture.Rope, hp.RopeFreqBase, hp.RopeFreqScale, _w.RopeFreqFactors);
        _attention = new Attention(hp.HeadCount, hp.HeadCountKv, hp.KeyLength, hp.ValueLength, cache.Size, pool,
                                   f16Cache: cache.TypeK == GgmlType.F16 && cache.TypeV == GgmlType.F16);
        var e = hp.EmbeddingLength;
        _x = new float[maxTokens * e];
        _cur = new float[maxTokens * e];
        _q = new float[maxTokens * hp.HeadCount * hp.KeyLength];
        _k = new float[maxTokens * hp.KeyWidth];
        _v = new float[maxTokens * hp.ValueWidth];
        _attn = new float[maxTokens * hp.HeadCount * hp.ValueLength];
        _proj = new float[maxTokens * e];
        _gate = new float[maxTokens * hp.FeedForwardLength];
        _up = new float[maxTokens * hp.FeedForwardLength];
        var widest = Math.Max(e, Math.Max(hp.HeadCount * hp.ValueLength, hp.FeedForwardLength));
        _act = new byte[maxTokens * widest * sizeof(float)];
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at positions p0, p0+1, … and writes the logits of the rows
    /// from <paramref name="firstOutput"/> on into <paramref name="logits"/> at <paramref name="logitsOffset"/>
    /// ((n − firstOutput) × n_vocab).
    /// </summary>
    public unsafe void Run(ReadOnlySpan<int> tokens, int p0, int firstOutput, float[] logits, int logitsOffset)
    {
        var n = tokens.Length;
        if (n > _maxTokens) throw new ArgumentException("batch larger than the scratch buffers");
        var hp = _hp;
        var e = hp.EmbeddingLength;
        var qW = hp.HeadCount * hp.KeyLength;
        var eps = hp.RmsNormEpsilon;

        var emb = _w.TokenEmbedding;
        for (var t = 0; t < n; t++) RowDecoder.Decode(emb.Type, emb.Row(tokens[t]), _x.AsSpan(t * e, e));

        var cpuLayers = _gpu?.FirstLayer ?? hp.BlockCount;
        for (var l = 0; l < cpuLayers; l++)
        {
            var lw = _w.Layers[l];
            var x = _x.AsSpan(0, n * e);
            var cur = _cur.AsSpan(0, n * e);

            // attention
            _rowWork.RmsNormRows(_x, 0, lw.AttnNorm, eps, _cur, 0, n);
            _actType = null;
            var q = Project(lw.Wq, _cur, n, _q, 0, lw.Bq);
            var k = Project(lw.Wk, _cur, n, _k, 0, lw.Bk);
            var v = Project(lw.Wv, _cur, n, _v, 0, lw.Bv);
            if (lw.QNorm is not null) _rowWork.RmsNormRows(_q, 0, lw.QNorm, eps, _q, 0, n * hp.HeadCount);
            if (lw.KNorm is not null) _rowWork.RmsNormRows(_k, 0, lw.KNorm, eps, _k, 0, n * hp.HeadCountKv);
            for (var t = 0; t < n; t++)
            {
                _rope.SetPosition(p0 + t);
                for (var h = 0; h < hp.HeadCount; h++) _rope.Apply(q.Slice(t * qW + h * hp.KeyLength, hp.KeyLength));
                for (var h = 0; h < hp.HeadCountKv; h++) _rope.Apply(k.Slice(t * hp.KeyWidth + h * hp.KeyLength, hp.KeyLength));
            }
            var attn = _attn.AsSpan(0, n * hp.HeadCount * hp.ValueLength);
            _attention.Run(_cache, l, p0, n, _q, k, v, _attn);
            _actType = null;
            var o = Project(lw.Wo, _attn, n, _proj, 0, lw.Bo);
            Add(x, o);

            // llama.cpp keeps only the output rows (inp_out_ids) before the last feed-forward; the
            // row count picks ggml's matmul kernel (tinyBLAS from two rows, vec_dot for one), which
            // changes the last bits, so we do the same.
            var rows = n;
            if (l == hp.BlockCount - 1 && firstOutput > 0)
            {
                rows = Math.Max(0, n - firstOutput);
                x.Slice(firstOutput * e, rows * e).CopyTo(x);
                x = x[..(rows * e)];
                cur = cur[..(rows * e)];
                firstOutput = 0;
                n = rows;
                if (rows == 0) return;
            }

            // feed-forward
            _rowWork.RmsNormRows(_x, 0, lw.FfnNorm, eps, _cur, 0, rows);
            _actType = null;
            Project(lw.FfnGate, _cur, rows, _gate, 0, null);
            Project(lw.FfnUp, _cur, rows, _up, 0, null);
            _rowWork.SwiGluRows(_gate, _up, rows, lw.FfnGate.Rows);
            _actType = null;
            var down = Project(lw.FfnDown, _gate, rows, _proj, 0, null);
            Add(x, down);
        }

        if (_gpu is not null && _gpu.Run(_x.AsSpan(0, n * e), n, p0, firstOutput, logits)) return;

        var nOut = n - firstOutput;
        if (nOut <= 0) return;
        _rowWork.RmsNormRows(_x, firstOutput * e, _w.OutputNorm, eps, _cur, 0, nOut);
        _actType = null;
        Project(_w.Output, _cur, nOut, logits, logitsOffset, null);
    }

    /// <summary>y = W·x (+ b) for n rows; the activations are converted once per vec_dot type and reused.</summary>
    private Span<float> Project(WeightMatrix w, float[] x, int n, float[] dst, int dstOffset, float[]? bias)
    {
        var k = w.Columns;
        var conversion = MatMul.ConversionType(w);
        var actType = MatMul.ActivationType(conversion);
        if (_actType != actType)
        {
            _rowWork.ConvertActivations(conversion, x, n, k, _act);
            _actType = actType;
        }
        _matMul.Multiply(w, _act, n, dst, dstOffset);
        var y = dst.AsSpan(dstOffset, n * w.Rows);
        if (bias is not null)
            for (var t = 0; t < n; t++) Add(y.Slice(t * w.Rows, w.Rows), bias);
        return y;
    }

    private static void Add(Span<float> acc, ReadOnlySpan<float> b)
    {
        for (var i = 0; i < acc.Length; i++) acc[i] += b[i];
    }
}
