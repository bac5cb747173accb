using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Numerics;

namespace SharpInfer.Models;

/// <summary>
/// A loaded model: its GGUF file (weights are used in place where the file maps them), its
/// architecture description, hyperparameters and bound weights. Create a <see cref="Context"/>
/// to evaluate tokens. Dispose the model after its contexts.
/// </summary>
public sealed class Model : IDisposable
{
    private Model(GgufFile file, ModelParams p, ArchitectureDescription arch, Hyperparameters hp, ModelWeights weights)
    {
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
            return new Model(file, p, arch, hp, weights);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public GgufFile File { get; }
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
