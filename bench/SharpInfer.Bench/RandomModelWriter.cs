using System.Runtime.InteropServices;
using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Bench;

/// <summary>
/// Writes an F16 GGUF of a <see cref="ModelShape"/> with random weights: N(0, 0.02) for matrices and
/// biases, 1 for norms, the output tied to the token embedding (as in both real models), and the
/// real tokenizer copied from the vocab fixture. Every tensor's numbers come from a generator seeded
/// by the run's seed and the tensor's name, so the same seed gives the same file.
/// </summary>
public static class RandomModelWriter
{
    public const float WeightStdDev = 0.02f;

    public static void Write(ModelShape shape, string vocabPath, string outputPath, ulong seed)
    {
        var w = new GgufWriter();
        var a = shape.Architecture;
        w.Set("general.architecture", GgufValue.Of(a));
        w.Set("general.name", GgufValue.Of($"{shape.Description}, random weights (seed {seed})"));
        w.Set($"{a}.block_count", GgufValue.Of((uint)shape.Layers));
        w.Set($"{a}.context_length", GgufValue.Of((uint)shape.ContextLength));
        w.Set($"{a}.embedding_length", GgufValue.Of((uint)shape.Embedding));
        w.Set($"{a}.feed_forward_length", GgufValue.Of((uint)shape.FeedForward));
        w.Set($"{a}.attention.head_count", GgufValue.Of((uint)shape.Heads));
        w.Set($"{a}.attention.head_count_kv", GgufValue.Of((uint)shape.KvHeads));
        w.Set($"{a}.rope.freq_base", GgufValue.Of((float)shape.RopeBase));
        w.Set($"{a}.attention.layer_norm_rms_epsilon", GgufValue.Of((float)shape.RmsEpsilon));
        w.Set($"{a}.attention.key_length", GgufValue.Of((uint)shape.HeadDim));
        w.Set($"{a}.attention.value_length", GgufValue.Of((uint)shape.HeadDim));
        w.Set($"{a}.rope.dimension_count", GgufValue.Of((uint)shape.HeadDim));
        w.Set($"{a}.vocab_size", GgufValue.Of((uint)shape.Vocab));
        w.Set("general.file_type", GgufValue.Of(1u));

        using (var vocab = GgufFile.Open(vocabPath))
        {
            var tokens = vocab.GetValue("tokenizer.ggml.tokens")?.AsArray().Count
                ?? throw new InvalidDataException($"{vocabPath} has no tokenizer.ggml.tokens");
            if (tokens != shape.Vocab)
                throw new InvalidDataException($"{vocabPath} has {tokens} tokens; {shape.Name} needs {shape.Vocab}");
            foreach (var (k, v) in vocab.Metadata)
                if (k.StartsWith("tokenizer.", StringComparison.Ordinal)) w.Set(k, v);
        }

        var e = shape.Embedding;
        var kv = shape.KvHeads * shape.HeadDim;
        var f = shape.FeedForward;
        // Tensor order as llama.cpp's converter writes it; the quantizer re-sorts anyway.
        var specs = new List<TensorSpec>();
        Add(specs, "token_embd.weight", false, e, shape.Vocab);
        for (var i = 0; i < shape.Layers; i++)
        {
            var p = $"blk.{i}.";
            Add(specs, p + "attn_norm.weight", true, e);
            Add(specs, p + "attn_q.weight", false, e, e);
            Add(specs, p + "attn_k.weight", false, e, kv);
            Add(specs, p + "attn_v.weight", false, e, kv);
            if (shape.QkvBias)
            {
                Add(specs, p + "attn_q.bias", false, e);
                Add(specs, p + "attn_k.bias", false, kv);
                Add(specs, p + "attn_v.bias", false, kv);
            }
            Add(specs, p + "attn_output.weight", false, e, e);
            Add(specs, p + "ffn_norm.weight", true, e);
            Add(specs, p + "ffn_gate.weight", false, e, f);
            Add(specs, p + "ffn_up.weight", false, e, f);
            Add(specs, p + "ffn_down.weight", false, f, e);
        }
        Add(specs, "output_norm.weight", true, e);
        // Each tensor has its own generator, so they are filled in parallel and added in order: same file.
        var data = new byte[specs.Count][];
        Parallel.For(0, specs.Count, i => data[i] = Generate(specs[i], seed));
        for (var i = 0; i < specs.Count; i++)
            w.AddTensor(specs[i].Name, specs[i].Dims.Length == 1 ? GgmlType.F32 : GgmlType.F16, specs[i].Dims, data[i]);
        w.WriteTo(outputPath);
    }

    private sealed record TensorSpec(string Name, bool IsNorm, long[] Dims);

    private static void Add(List<TensorSpec> specs, string name, bool isNorm, params long[] dims) => specs.Add(new TensorSpec(name, isNorm, dims));

    // Norms and biases stay F32 as llama.cpp's converter leaves 1-D tensors; matrices are F16.
    private static byte[] Generate(TensorSpec t, ulong seed)
    {
        long n = 1;
        foreach (var d in t.Dims) n *= d;
        if (t.Dims.Length == 1)
        {
            var bytes = new byte[n * sizeof(float)];
            var floats = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
            if (t.IsNorm) floats.Fill(1f);
            else Fill(floats, seed, t.Name);
            return bytes;
        }
        var halfBytes = new byte[n * 2];
        FillHalf(MemoryMarshal.Cast<byte, Half>(halfBytes.AsSpan()), seed, t.Name);
        return halfBytes;
    }

    private static void Fill(Span<float> values, ulong seed, string name)
    {
        var g = new NormalGenerator(seed ^ Fnv1a(name));
        for (var i = 0; i < values.Length; i++) values[i] = g.Next() * WeightStdDev;
    }

    private static void FillHalf(Span<Half> values, ulong seed, string name)
    {
        var g = new NormalGenerator(seed ^ Fnv1a(name));
        for (var i = 0; i < values.Length; i++) values[i] = (Half)(g.Next() * WeightStdDev);
    }

    private static ulong Fnv1a(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>SplitMix64 feeding Box–Muller: fast, portable and the same on every machine.</summary>
    private struct NormalGenerator(ulong state)
    {
        private ulong _state = state;
        private float _spare;
        private bool _hasSpare;

        public float Next()
        {
            if (_hasSpare) { _hasSpare = false; return _spare; }
            double u1 = ((NextU64() >> 11) + 1) * (1.0 / 9007199254740993.0);
            double u2 = (NextU64() >> 11) * (1.0 / 9007199254740992.0);
            var r = Math.Sqrt(-2.0 * Math.Log(u1));
            var t = 2.0 * Math.PI * u2;
            _spare = (float)(r * Math.Sin(t));
            _hasSpare = true;
            return (float)(r * Math.Cos(t));
        }

        private ulong NextU64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
