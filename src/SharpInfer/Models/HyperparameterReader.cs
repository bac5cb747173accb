using SharpInfer.Format.Gguf;

namespace SharpInfer.Models;

/// <summary>Reads <see cref="Hyperparameters"/> from GGUF metadata as llama.cpp's <c>load_hparams</c> does.</summary>
public static class HyperparameterReader
{
    public static Hyperparameters Read(GgufFile file, ArchitectureDescription arch)
    {
        var a = arch.Name;
        int RequiredInt(string key) => GetIntOrUniformArray(file, $"{a}.{key}")
            ?? throw new SharpInferException($"{file.Path}: missing metadata key {a}.{key}");
        int OptionalInt(string key, int fallback) => GetIntOrUniformArray(file, $"{a}.{key}") ?? fallback;

        var expertCount = OptionalInt("expert_count", 0);
        if (expertCount > 0)
            throw new SharpInferException($"{file.Path}: mixture-of-experts models ({a}.expert_count = {expertCount}) are not supported yet");

        var nEmbd = RequiredInt("embedding_length");
        var nLayer = RequiredInt("block_count");
        var nHead = RequiredInt("attention.head_count");
        var nHeadKv = OptionalInt("attention.head_count_kv", nHead);
        var nFf = RequiredInt("feed_forward_length");
        var nCtxTrain = RequiredInt("context_length");
        if (nHead <= 0 || nHeadKv <= 0 || nHead % nHeadKv != 0)
            throw new SharpInferException($"{file.Path}: head_count {nHead} is not a multiple of head_count_kv {nHeadKv}");
        var headK = OptionalInt("attention.key_length", nEmbd / nHead);
        var headV = OptionalInt("attention.value_length", nEmbd / nHead);
        var nRot = OptionalInt("rope.dimension_count", headK);
        if (arch.RopeMustCoverHead && nRot != headK)
            throw new SharpInferException($"{file.Path}: invalid {a}.rope.dimension_count {nRot}, expected {headK}");
        if (nRot > headK || nRot % 2 != 0)
            throw new SharpInferException($"{file.Path}: invalid {a}.rope.dimension_count {nRot} for heads of {headK}");

        var eps = file.GetValue($"{a}.attention.layer_norm_rms_epsilon")?.AsDouble()
            ?? throw new SharpInferException($"{file.Path}: missing metadata key {a}.attention.layer_norm_rms_epsilon");
        var freqBase = file.GetValue($"{a}.rope.freq_base")?.AsDouble() ?? 10000.0;

        // llama.cpp: rope.scaling.factor, else the old rope.scale_linear; 0 means none.
        var factor = file.GetValue($"{a}.rope.scaling.factor")?.AsDouble()
            ?? file.GetValue($"{a}.rope.scale_linear")?.AsDouble() ?? 0.0;
        var scalingType = file.GetString($"{a}.rope.scaling.type") ?? "linear";
        if (scalingType is not ("linear" or "none"))
            throw new SharpInferException($"{file.Path}: rope scaling type '{scalingType}' is not supported yet");

        var vocab = VocabSize(file, a);

        return new Hyperparameters
        {
            VocabSize = vocab,
            TrainingContextLength = nCtxTrain,
            EmbeddingLength = nEmbd,
            BlockCount = nLayer,
            FeedForwardLength = nFf,
            HeadCount = nHead,
            HeadCountKv = nHeadKv,
            KeyLength = headK,
            ValueLength = headV,
            RmsNormEpsilon = (float)eps,
            RopeDimensionCount = nRot,
            RopeFreqBase = (float)freqBase,
            RopeFreqScale = factor == 0.0 ? 1.0f : 1.0f / (float)factor,
            RopeScalingType = scalingType,
        };
    }

    private static int VocabSize(GgufFile file, string arch)
    {
        if (file.GetValue("tokenizer.ggml.tokens") is { } tokens) return tokens.AsArray().Count;
        if (file.GetValue($"{arch}.vocab_size") is { } v) return checked((int)v.AsInt64());
        if (file.FindTensor("token_embd.weight") is { Dimensions.Length: 2 } t) return checked((int)t.Dimensions[1]);
        throw new SharpInferException($"{file.Path}: cannot tell the vocabulary size (no tokenizer.ggml.tokens, no {arch}.vocab_size)");
    }

    /// <summary>llama.cpp's get_key_or_arr: a scalar, or a per-layer array (only uniform arrays are supported).</summary>
    private static int? GetIntOrUniformArray(GgufFile file, string key)
    {
        var v = file.GetValue(key);
        if (v is null) return null;
        if (v.IsInteger) return checked((int)v.AsInt64());
        if (v.Value is GgufArray arr)
        {
            var items = arr.AsInt32s();
            if (items.Length == 0) throw new SharpInferException($"{file.Path}: metadata key {key} is an empty array");
            foreach (var x in items)
                if (x != items[0])
                    throw new SharpInferException($"{file.Path}: per-layer values of {key} are not supported yet");
            return items[0];
        }
        throw new SharpInferException($"{file.Path}: metadata key {key} has type {v.Type}, expected an integer");
    }
}
