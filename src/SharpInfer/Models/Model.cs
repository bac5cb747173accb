using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Numerics;
using SharpInfer.Tokenizers;

namespace SharpInfer.Models;

/// <summary>
/// A loaded model: its GGUF file (weights are used in place where the file maps them), its
/// architecture description, hyperparameters and bound weights. Create a <see cref="Context"/>
/// to evaluate tokens. Dispose the model after its contexts.
/// </summary>
public sealed class Model : IDisposable
{
    private Model(GgufFile file, ModelParams p, ArchitectureDescription arch, Hyperparameters hp, ModelWeights weights, Tokenizer tokenizer)
    {
        Tokenizer = tokenizer;
        File = file;
        Params = p;
        Architecture = arch;
        Hyperparameters = hp;
        Weights = weights;
    }

    /// <summary>Opens a GGUF model; unsupported architectures, tensor types or shapes throw a <see cref="SharpInferException"/> naming them.</summary>
    public static Model Load(string path, ModelParams? p = null)
    {
        p ??= ModelParams.Default;
        var file = GgufFile.Open(path, new GgufLoadOptions { UseMmap = p.UseMmap, UseMlock = p.UseMlock });
        try
        {
            if (p.CheckTensors && TensorValidator.Scan(file) is { Count: > 0 } problems)
                throw new SharpInferException($"{path}: --check-tensors: {problems[0]}" +
                    (problems.Count > 1 ? $" (and {problems.Count - 1} more problems)" : ""));
            var arch = Architectures.Get(file.Architecture);
            var hp = HyperparameterReader.Read(file, arch);
            var weights = WeightBinder.Bind(file, arch, hp);
            if (p.CheckTensors) ThrowOnBadValues(file);
            return new Model(file, p, arch, hp, weights, Tokenizer.FromGguf(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void ThrowOnBadValues(GgufFile file)
    {
        var problems = TensorValidator.Scan(file, limit: 10);
        if (problems.Count > 0)
            throw new SharpInferException($"{file.Path}: --check-tensors found {problems.Count}{(problems.Count == 10 ? "+" : "")} bad values; first: {problems[0]}");
    }

    public GgufFile File { get; }

    /// <summary>The tokenizer described by the file's tokenizer.ggml.* metadata.</summary>
    public Tokenizer Tokenizer { get; }
    public ModelParams Params { get; }
    public ArchitectureDescription Architecture { get; }

    /// <summary>The architecture name (general.architecture), e.g. "llama".</summary>
    public string ArchitectureName => Architecture.Name;

    public Hyperparameters Hyperparameters { get; }
    public ModelWeights Weights { get; }

    public int VocabSize => Hyperparameters.VocabSize;

    /// <summary>Creates an inference context (KV cache and buffers) for this model.</summary>
    public Context CreateContext(ContextParams? p = null) => new(this, p);

    public void Dispose() => File.Dispose();
}
