using SharpInfer.Backends;
using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Numerics;
using SharpInfer.Placement;
using SharpInfer.Tokenizers;

namespace SharpInfer.Models;

/// <summary>
/// A loaded model: its GGUF file, the <see cref="Plan"/> that placed its weights (used in place
/// where the file maps them, repacked into their own buffers otherwise), its architecture
/// description, hyperparameters and bound weights. Create a <see cref="Context"/>
/// to evaluate tokens. Dispose the model after its contexts.
/// </summary>
public sealed class Model : IDisposable
{
    private readonly LoadedWeights _loaded;

    private Model(GgufFile file, ModelParams p, Plan plan, LoadedWeights loaded, ArchitectureDescription arch, Hyperparameters hp, ModelWeights weights, Tokenizer tokenizer)
    {
        Plan = plan;
        _loaded = loaded;
        Tokenizer = tokenizer;
        File = file;
        Params = p;
        Architecture = arch;
        Hyperparameters = hp;
        Weights = weights;
    }

    /// <summary>Opens a GGUF model; unsupported architectures, tensor types or shapes throw a <see cref="SharpInferException"/> naming them.</summary>
    public static Model Load(string path, ModelParams? p = null) => Load(path, p, BackendSet.Default());

    /// <summary>Loads with the given backends (tests use this to plug in kernels a machine lacks).</summary>
    internal static Model Load(string path, ModelParams? p, BackendSet backends)
    {
        p ??= ModelParams.Default;
        LoadedWeights? loaded = null;
        // Progress: reading the file (only without mmap) is the first half, placing weights the rest.
        var readShare = p.UseMmap ? 0f : 0.5f;
        var progress = p.Progress;
        var file = GgufFile.Open(path, new GgufLoadOptions
        {
            UseMmap = p.UseMmap,
            UseMlock = p.UseMlock,
            ReadProgress = progress is null ? null : f => progress(f * readShare),
        });
        try
        {
            if (p.CheckTensors && TensorValidator.Scan(file) is { Count: > 0 } problems)
                throw new SharpInferException($"{path}: --check-tensors: {problems[0]}" +
                    (problems.Count > 1 ? $" (and {problems.Count - 1} more problems)" : ""));
            var arch = Architectures.Get(file.Architecture);
            var hp = HyperparameterReader.Read(file, arch);
            // The plan is the only thing that decides where a weight lives.
            var plan = Planner.Create(PlanInput.FromGguf(file), p, backends);
            loaded = LoadedWeights.Load(plan, file, progress is null ? null : f => progress(readShare + f * (1 - readShare)));
            var weights = WeightBinder.Bind(file, loaded, arch, hp);
            return new Model(file, p, plan, loaded, arch, hp, weights, Tokenizer.FromGguf(file));
        }
        catch
        {
            loaded?.Dispose();
            file.Dispose();
            throw;
        }
    }

    public GgufFile File { get; }

    /// <summary>Where every weight lives; its <see cref="Plan.Messages"/> and <see cref="PlanFormatter.LoadTensorsLines"/> are what a run prints at load.</summary>
    public Plan Plan { get; }

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

    public void Dispose()
    {
        _loaded.Dispose();
        File.Dispose();
    }
}
