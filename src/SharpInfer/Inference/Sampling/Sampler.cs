using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpInfer.Inference.Sampling;

/// <summary>
/// llama.cpp's default sampling chain over one row of logits: repetition penalties, top-k, top-p,
/// min-p, temperature, then a draw from the remaining distribution with a seeded mt19937.
/// All buffers are allocated once for the vocabulary size; sampling a token allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerParams _p;
    private readonly MersenneTwister _rng;
    private readonly int[] _ids;
    private readonly float[] _values;
    private readonly float[] _penalized;
    private readonly int[] _history;
    private readonly Dictionary<int, int> _counts = [];
    private readonly List<int> _banned = [];
    private int _historyCount;
    private int _historyStart;

    public Sampler(int vocabSize, SamplerParams? parameters = null, int contextLength = 4096)
    {
        _p = parameters ?? new SamplerParams();
        Seed = _p.Seed ?? (uint)Random.Shared.NextInt64(0, uint.MaxValue);
        _rng = new MersenneTwister(Seed);
        _ids = new int[vocabSize];
        _values = new float[vocabSize];
        _penalized = new float[vocabSize];
        var window = _p.RepeatLastN < 0 ? contextLength : _p.RepeatLastN;
        _history = new int[Math.Max(1, window)];
    }

    /// <summary>The seed in use (the one given, or the random one picked; print it so a run can be repeated).</summary>
    public uint Seed { get; }

    public SamplerParams Parameters => _p;

    /// <summary>Records a token (prompt or generated) for the repetition penalties.</summary>
    public void Accept(int token)
    {
        if (_p.RepeatLastN == 0) return;
        if (_historyCount == _history.Length)
        {
            _history[_historyStart] = token;
            _historyStart = (_historyStart + 1) % _history.Length;
        }
        else
        {
            _history[(_historyStart + _historyCount) % _history.Length] = token;
            _historyCount++;
        }
    }

    public void Reset()
    {
        _historyCount = 0;
        _historyStart = 0;
    }

    /// <summary>Chooses the next token from one position's logits.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        var n = logits.Length;
        if (n > _ids.Length) throw new ArgumentException($"logits row has {n} entries, the sampler was made for {_ids.Length}");
        var source = _p.PenaltiesEnabled && _historyCount > 0 ? ApplyPenalties(logits) : logits;
        if (_banned.Count > 0) source = ApplyBans(source);

        if (_p.Temperature <= 0) return ArgMax(source);

        var count = _p.TopK > 0 && _p.TopK < n ? TopK(source, _p.TopK) : All(source);
        if (_p.TopP < 1f) count = TopP(count, _p.TopP);
        if (_p.MinP > 0f) count = MinP(count, _p.MinP);
        return Draw(count, _p.Temperature);
    }

    /// <summary>Never samples <paramref name="token"/> again (llama.cpp's --ignore-eos bans the end-of-generation tokens this way).</summary>
    public void Ban(int token)
    {
        if ((uint)token >= (uint)_ids.Length) throw new ArgumentOutOfRangeException(nameof(token), token, "not in the vocabulary");
        if (!_banned.Contains(token)) _banned.Add(token);
    }

    private ReadOnlySpan<float> ApplyBans(ReadOnlySpan<float> logits)
    {
        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(logits), ref _penalized[0])) logits.CopyTo(_penalized);
        foreach (var t in _banned)
            if (t < logits.Length) _penalized[t] = float.NegativeInfinity;
        return _penalized.AsSpan(0, logits.Length);
    }

    private ReadOnlySpan<float> ApplyPenalties(ReadOnlySpan<float> logits)
    {
        logits.CopyTo(_penalized);
        _counts.Clear();
        for (var i = 0; i < _historyCount; i++)
        {
            var t = _history[(_historyStart + i) % _history.Length];
            _counts[t] = _counts.GetValueOrDefault(t) + 1;
        }
        foreach (var (token, c) in _counts)
        {
            if ((uint)token >= (uint)logits.Length) continue;
            ref var l = ref _penalized[token];
            l = l <= 0 ? l * _p.RepeatPenalty : l / _p.RepeatPenalty;
            l -= c * _p.FrequencyPenalty + _p.PresencePenalty;
        }
        return _penalized.AsSpan(0, logits.Length);
    }

    /// <summary>Index of the largest logit (the first one on ties), as greedy decoding picks.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    private int All(ReadOnlySpan<float> logits)
    {
        for (var i = 0; i < logits.Length; i++)
        {
            _ids[i] = i;
            _values[i] = logits[i];
        }
        SortDescending(logits.Length);
        return logits.Length;
    }

    /// <summary>Keeps the k largest (a size-k min-heap over the row), sorted descending, ties by lower id.</summary>
    private int TopK(ReadOnlySpan<float> logits, int k)
    {
        for (var i = 0; i < k; i++)
        {
            _ids[i] = i;
            _values[i] = logits[i];
            SiftUp(i);
        }
        for (var i = k; i < logits.Length; i++)
        {
            if (!Better(logits[i], i, _values[0], _ids[0])) continue;
            _ids[0] = i;
            _values[0] = logits[i];
            SiftDown(0, k);
        }
        SortDescending(k);
        return k;
    }

    private static bool Better(float v, int id, float w, int wid) => v > w || (v == w && id < wid);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Better(_values[parent], _ids[parent], _values[i], _ids[i])) break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i, int n)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < n && Better(_values[worst], _ids[worst], _values[l], _ids[l])) worst = l;
            if (r < n && Better(_values[worst], _ids[worst], _values[r], _ids[r])) worst = r;
            if (worst == i) return;
            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_ids[a], _ids[b]) = (_ids[b], _ids[a]);
        (_values[a], _values[b]) = (_values[b], _values[a]);
    }

    private void SortDescending(int n)
    {
        // Keys sort ascending, so negate; equal values keep lower ids first via a stable tie on id.
        var keys = _values.AsSpan(0, n);
        for (var i = 0; i < n; i++) keys[i] = -keys[i];
        keys.Sort(_ids.AsSpan(0, n));
        for (var i = 0; i < n; i++) keys[i] = -keys[i];
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && _values[end] == _values[start]) end++;
            if (end - start > 1) _ids.AsSpan(start, end - start).Sort();
            start = end;
        }
    }

    /// <summary>Softmax over the sorted candidates; keeps the smallest prefix whose mass reaches p.</summary>
    private int TopP(int count, float p)
    {
        var max = _values[0];
        double sum = 0;
        for (var i = 0; i < count; i++) sum += Math.Exp(_values[i] - max);
        double cumulative = 0;
        for (var i = 0; i < count; i++)
        {
            cumulative += Math.Exp(_values[i] - max) / sum;
            if (cumulative >= p) return i + 1;
        }
        return count;
    }

    /// <summary>Keeps candidates whose probability is at least p times the top one's (compared in logit space).</summary>
    private int MinP(int count, float p)
    {
        var threshold = _values[0] + MathF.Log(p);
        var keep = 1;
        while (keep < count && _values[keep] >= threshold) keep++;
        return keep;
    }

    private int Draw(int count, float temperature)
    {
        var max = _values[0] / temperature;
        double sum = 0;
        for (var i = 0; i < count; i++) sum += Math.Exp(_values[i] / temperature - max);
        var target = _rng.NextDouble() * sum;
        double cumulative = 0;
        for (var i = 0; i < count; i++)
        {
            cumulative += Math.Exp(_values[i] / temperature - max);
            if (target < cumulative) return _ids[i];
        }
        return _ids[count - 1];
    }
}
