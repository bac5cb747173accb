using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Numerics;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Models;

/// <summary>Hyperparameters, weight binding and the errors a user gets for files we cannot run.</summary>
public sealed class ModelLoadTests
{
    [Fact]
    public void ReadsHyperparametersWithLlamaCppDefaults()
    {
        using var m = Model.Load(TestPaths.Require(TestPaths.Stories260K));
        var hp = m.Hyperparameters;
        Assert.Equal("llama", m.ArchitectureName);
        Assert.Equal(512, hp.VocabSize);
        Assert.Equal(2048, hp.TrainingContextLength);
        Assert.Equal(64, hp.EmbeddingLength);
        Assert.Equal(5, hp.BlockCount);
        Assert.Equal(172, hp.FeedForwardLength);
        Assert.Equal(8, hp.HeadCount);
        Assert.Equal(4, hp.HeadCountKv);
        Assert.Equal(8, hp.KeyLength); // no key_length key: n_embd / n_head
        Assert.Equal(8, hp.ValueLength);
        Assert.Equal(8, hp.RopeDimensionCount);
        Assert.Equal(10000f, hp.RopeFreqBase); // no rope.freq_base key: llama.cpp's default
        Assert.Equal(1f, hp.RopeFreqScale);
        Assert.Equal(9.999999747378752e-06f, hp.RmsNormEpsilon);
        Assert.False(m.Weights.OutputIsTied);
        Assert.Null(m.Weights.RopeFreqFactors);
    }

    [Fact]
    public void Qwen3HeadSizeComesFromKeyLengthAndOutputIsTied()
    {
        using var m = Model.Load(TestPaths.Require(TestPaths.Micro("micro-qwen3-F32.gguf")));
        Assert.Equal("qwen3", m.ArchitectureName);
        Assert.Equal(RopeStyle.NeoX, m.Architecture.Rope);
        Assert.Equal(64, m.Hyperparameters.KeyLength);
        Assert.NotEqual(m.Hyperparameters.EmbeddingLength, m.Hyperparameters.HeadCount * m.Hyperparameters.KeyLength);
        Assert.True(m.Weights.OutputIsTied);
        Assert.NotNull(m.Weights.Layers[0].QNorm);
        Assert.Null(m.Weights.Layers[0].Bq);
    }

    [Fact]
    public void Qwen2HasQkvBiases()
    {
        using var m = Model.Load(TestPaths.Require(TestPaths.Micro("micro-qwen2-F32.gguf")));
        var l = m.Weights.Layers[1];
        Assert.NotNull(l.Bq);
        Assert.NotNull(l.Bk);
        Assert.NotNull(l.Bv);
        Assert.Null(l.QNorm);
        Assert.Equal(1, m.Hyperparameters.HeadCountKv); // MQA
        Assert.Equal(1e6f, m.Hyperparameters.RopeFreqBase);
    }

    [Fact]
    public void UnknownArchitectureIsNamed()
    {
        using var tmp = Rewrite("micro-llama-F32", meta: w => w.Set("general.architecture", GgufValue.Of("gpt2")));
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path));
        Assert.Contains("architecture 'gpt2' is not supported", e.Message);
    }

    [Fact]
    public void UnsupportedTensorTypeIsNamed()
    {
        using var tmp = Rewrite("micro-llama-F32", tensor: t => t.Name == "blk.0.attn_q.weight" ? GgmlType.IQ2_XXS : null);
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path));
        Assert.Equal("tensor blk.0.attn_q.weight has type IQ2_XXS, which is not supported yet", e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var tmp = Rewrite("micro-llama-F32", drop: "blk.1.ffn_up.weight");
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path));
        Assert.Contains("missing tensor blk.1.ffn_up.weight", e.Message);
    }

    [Fact]
    public void MissingOutputWeightTiesToTheEmbedding()
    {
        using var tmp = Rewrite("micro-llama-F32", drop: "output.weight");
        using var m = Model.Load(tmp.Path);
        Assert.True(m.Weights.OutputIsTied);
        using var ctx = m.CreateContext();
        ctx.Decode([1, 2, 3]);
        Assert.Equal(m.VocabSize, ctx.GetLogits(-1).Length);
    }

    [Fact]
    public void MixtureOfExpertsIsRefused()
    {
        using var tmp = Rewrite("micro-llama-F32", meta: w => w.Set("llama.expert_count", GgufValue.Of(8u)));
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path));
        Assert.Contains("expert_count", e.Message);
    }

    [Fact]
    public void LinearRopeScalingAndLlama3FrequencyFactorsAreRead()
    {
        using var tmp = Rewrite("micro-llama-F32",
            meta: w => w.Set("llama.rope.scaling.type", GgufValue.Of("linear")).Set("llama.rope.scaling.factor", GgufValue.Of(4.0f)),
            extra: ("rope_freqs.weight", 32, 1.0f));
        using var m = Model.Load(tmp.Path);
        Assert.Equal(0.25f, m.Hyperparameters.RopeFreqScale);
        Assert.Equal(Enumerable.Repeat(1.0f, 32), m.Weights.RopeFreqFactors!);

        // Factors of 1 change nothing; the scale changes every position but the first (angle 0).
        using var plain = Model.Load(TestPaths.Require(TestPaths.Micro("micro-llama-F32.gguf")));
        using var factorsOnly = Rewrite("micro-llama-F32", extra: ("rope_freqs.weight", 32, 1.0f));
        using var withFactors = Model.Load(factorsOnly.Path);
        int[] prompt = [1, 403, 407, 261];
        float[][] Run(Model model)
        {
            using var ctx = model.CreateContext();
            ctx.Decode(prompt);
            return Enumerable.Range(0, prompt.Length).Select(i => ctx.GetLogits(i).ToArray()).ToArray();
        }
        var a = Run(plain);
        Assert.Equal(a, Run(withFactors));
        var scaled = Run(m);
        Assert.Equal(a[0], scaled[0]);
        Assert.NotEqual(a[3], scaled[3]);
    }

    [Fact]
    public void YarnRopeScalingIsRefused()
    {
        using var tmp = Rewrite("micro-llama-F32", meta: w => w.Set("llama.rope.scaling.type", GgufValue.Of("yarn")));
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path));
        Assert.Contains("rope scaling type 'yarn' is not supported", e.Message);
    }

    [Fact]
    public void CheckTensorsFindsANaNWeight()
    {
        using var tmp = Rewrite("micro-llama-F32", poison: "blk.1.ffn_down.weight");
        using (Model.Load(tmp.Path)) { } // without the check the file loads
        var e = Assert.Throws<SharpInferException>(() => Model.Load(tmp.Path, new ModelParams { CheckTensors = true }));
        Assert.Contains("blk.1.ffn_down.weight", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    /// <summary>Writes a copy of a micro model with one change, in the test's temp folder.</summary>
    private static TempFile Rewrite(string model, Action<GgufWriter>? meta = null, Func<GgufTensorInfo, GgmlType?>? tensor = null, string? drop = null,
        (string Name, int Length, float Value)? extra = null, string? poison = null)
    {
        using var src = GgufFile.Open(TestPaths.Require(TestPaths.Micro(model + ".gguf")));
        var w = GgufWriter.CopyMetadataFrom(src);
        meta?.Invoke(w);
        foreach (var t in src.Tensors)
        {
            if (t.Name == drop) continue;
            if (tensor?.Invoke(t) is { } type)
            {
                var bytes = new byte[GgmlTypeInfo.Get(type).RowBytes(t.RowLength) * t.RowCount];
                w.AddTensor(t.Name, type, t.Dimensions, bytes);
            }
            else
            {
                var bytes = src.GetTensorData(t).ToArray();
                if (t.Name == poison) BitConverter.TryWriteBytes(bytes.AsSpan(40), float.NaN);
                w.AddTensor(t.Name, t.Type, t.Dimensions, bytes);
            }
        }
        if (extra is { } x)
        {
            var bytes = new byte[x.Length * 4];
            for (var i = 0; i < x.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), x.Value);
            w.AddTensor(x.Name, GgmlType.F32, [x.Length], bytes);
        }
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sharpinfer-{model}-{Guid.NewGuid():N}.gguf");
        w.WriteTo(path);
        return new TempFile(path);
    }

    private sealed class TempFile(string path) : IDisposable
    {
        public string Path { get; } = path;
        public void Dispose() => File.Delete(Path);
    }
}
