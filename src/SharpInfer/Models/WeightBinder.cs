using SharpInfer.Format.Gguf;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;
using SharpInfer.Placement;

namespace SharpInfer.Models;

/// <summary>
/// Finds, checks (shape and type) and binds the tensors an architecture needs, as llama.cpp's
/// load_tensors does: a missing required tensor, a wrong shape or a type SharpInfer cannot compute
/// with is reported at load, naming the tensor.
/// </summary>
internal static unsafe class WeightBinder
{
    public static ModelWeights Bind(GgufFile file, LoadedWeights loaded, ArchitectureDescription arch, Hyperparameters hp)
    {
        var src = new Source(file, loaded);
        var e = hp.EmbeddingLength;
        var tokenEmbd = Matrix(src, "token_embd.weight", e, hp.VocabSize, forMatMul: false)!;
        if (!RowDecoder.Supports(tokenEmbd.Type)) throw Unsupported(tokenEmbd.Info);

        var output = Matrix(src, "output.weight", e, hp.VocabSize, required: false);
        if (output is null)
        {
            // llama.cpp: no output.weight means the output projection is the token embedding (tied).
            if (!MatMul.Supports(tokenEmbd.Type)) throw Unsupported(tokenEmbd.Info);
            output = tokenEmbd;
        }

        float[]? freqFactors = null;
        if (arch.UsesRopeFreqFactors)
            freqFactors = Vector(src, "rope_freqs.weight", hp.RopeDimensionCount / 2, required: false);

        var layers = new LayerWeights[hp.BlockCount];
        for (var l = 0; l < layers.Length; l++) layers[l] = BindLayer(src, arch, hp, l);

        return new ModelWeights
        {
            TokenEmbedding = tokenEmbd,
            OutputNorm = Vector(src, "output_norm.weight", e)!,
            Output = output,
            RopeFreqFactors = freqFactors,
            Layers = layers,
        };
    }

    private static LayerWeights BindLayer(Source src, ArchitectureDescription arch, Hyperparameters hp, int l)
    {
        var e = hp.EmbeddingLength;
        var qW = hp.HeadCount * hp.KeyLength;
        var oW = hp.HeadCount * hp.ValueLength;
        string N(LayerTensor t) => LayerTensorNames.Of(t, l);
        bool Req(LayerTensor t) => arch.PresenceOf(t) == TensorPresence.Required;
        WeightMatrix M(LayerTensor t, long cols, long rows) => Matrix(src, N(t), cols, rows)!;
        float[]? V(LayerTensor t, long n) => arch.Has(t) ? Vector(src, N(t), n, Req(t)) : null;

        return new LayerWeights
        {
            AttnNorm = V(LayerTensor.AttnNorm, e)!,
            Wq = M(LayerTensor.AttnQ, e, qW),
            Wk = M(LayerTensor.AttnK, e, hp.KeyWidth),
            Wv = M(LayerTensor.AttnV, e, hp.ValueWidth),
            Wo = M(LayerTensor.AttnOutput, oW, e),
            Bq = V(LayerTensor.AttnQBias, qW),
            Bk = V(LayerTensor.AttnKBias, hp.KeyWidth),
            Bv = V(LayerTensor.AttnVBias, hp.ValueWidth),
            Bo = V(LayerTensor.AttnOutputBias, e),
            QNorm = V(LayerTensor.AttnQNorm, hp.KeyLength),
            KNorm = V(LayerTensor.AttnKNorm, hp.KeyLength),
            FfnNorm = V(LayerTensor.FfnNorm, e)!,
            FfnGate = M(LayerTensor.FfnGate, e, hp.FeedForwardLength),
            FfnUp = M(LayerTensor.FfnUp, e, hp.FeedForwardLength),
            FfnDown = M(LayerTensor.FfnDown, hp.FeedForwardLength, e),
        };
    }

    /// <summary>The file (for names and errors) and where the plan put each tensor.</summary>
    private sealed record Source(GgufFile File, LoadedWeights Loaded);

    private static WeightMatrix? Matrix(Source src, string name, long cols, long rows, bool required = true, bool forMatMul = true)
    {
        var t = Find(src.File, name, required);
        if (t is null) return null;
        CheckShape(t, [cols, rows]);
        if (forMatMul && !MatMul.Supports(t.Type)) throw Unsupported(t);
        var view = src.Loaded[name];
        if (!forMatMul && view.IsRepacked)
            throw new InvalidOperationException($"{name} is read by rows but the plan put it in {view.BufferType.Name}");
        return new WeightMatrix(t, view.BufferType, view.Data);
    }

    private static float[]? Vector(Source src, string name, long n, bool required = true)
    {
        var t = Find(src.File, name, required);
        if (t is null) return null;
        CheckShape(t, [n]);
        if (!RowDecoder.Supports(t.Type)) throw Unsupported(t);
        var view = src.Loaded[name];
        if (view.IsRepacked)
            throw new InvalidOperationException($"{name} is a vector but the plan put it in {view.BufferType.Name}");
        return RowDecoder.DecodeVector(t.Type, view.Data, checked((int)n));
    }

    private static GgufTensorInfo? Find(GgufFile file, string name, bool required)
    {
        var t = file.FindTensor(name);
        if (t is null && required) throw new SharpInferException($"{file.Path}: missing tensor {name}");
        return t;
    }

    private static void CheckShape(GgufTensorInfo t, long[] expected)
    {
        var d = t.Dimensions;
        var ok = d.Length >= expected.Length;
        for (var i = 0; ok && i < d.Length; i++) ok = d[i] == (i < expected.Length ? expected[i] : 1);
        if (!ok)
            throw new SharpInferException(
                $"tensor {t.Name} has shape {t.ShapeString}, expected [{string.Join(", ", expected)}]");
    }

    private static SharpInferException Unsupported(GgufTensorInfo t) =>
        new($"tensor {t.Name} has type {GgmlTypeInfo.Get(t.Type).Name}, which is not supported yet");
}
