using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Numerics;

namespace SharpInfer.Cli.Commands;

/// <summary>
/// The flags that load a model and make a context, shared by run, logits, tokenize, plan and bench;
/// spelled as llama.cpp spells them.
/// </summary>
internal sealed class ModelOptions
{
    public readonly Option<string?> Model = new("--model", "-m") { Description = "GGUF model (default: the bundled stories260K)" };
    public readonly Option<int> ContextSize = new("--ctx-size", "-c") { Description = "Context size in tokens (0 = the model's, capped at 4096)", DefaultValueFactory = _ => 0 };
    public readonly Option<int> BatchSize = new("--batch-size", "-b") { Description = "Logical batch size for prompt processing", DefaultValueFactory = _ => 2048 };
    public readonly Option<int> UBatchSize = new("--ubatch-size", "-ub") { Description = "Physical batch size", DefaultValueFactory = _ => 512 };
    public readonly Option<int> Threads = new("--threads", "-t") { Description = "Threads (default: physical cores)", DefaultValueFactory = _ => 0 };
    public readonly Option<string> CacheTypeK = new("--cache-type-k", "-ctk") { Description = "K cache type: f16 or f32", DefaultValueFactory = _ => "f16" };
    public readonly Option<string> CacheTypeV = new("--cache-type-v", "-ctv") { Description = "V cache type: f16 or f32", DefaultValueFactory = _ => "f16" };
    public readonly Option<bool> NoMmap = new("--no-mmap") { Description = "Read the model into memory instead of mapping it" };
    public readonly Option<bool> Mlock = new("--mlock") { Description = "Lock the model in RAM" };
    public readonly Option<bool> CheckTensors = new("--check-tensors") { Description = "Check tensor data for NaN/Inf at load" };
    public readonly Option<int> GpuLayers = new("--gpu-layers", "--n-gpu-layers", "-ngl") { Description = "Layers to offload to the GPU", DefaultValueFactory = _ => 0 };
    public readonly Option<string> SplitMode = new("--split-mode", "-sm") { Description = "none, layer or row", DefaultValueFactory = _ => "layer" };
    public readonly Option<int> MainGpu = new("--main-gpu", "-mg") { Description = "GPU for -sm none and row results", DefaultValueFactory = _ => 0 };
    public readonly Option<string?> TensorSplit = new("--tensor-split", "-ts") { Description = "Proportions per GPU, e.g. 3,1" };
    public readonly Option<bool> Amx = new("--amx") { Description = "Put CPU weights in the CPU's extra (repacked: AMX, REPACK) buffer types" };
    public readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Print stack traces on errors" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, ContextSize, BatchSize, UBatchSize, Threads, CacheTypeK, CacheTypeV, NoMmap, Mlock,
                     CheckTensors, GpuLayers, SplitMode, MainGpu, TensorSplit, Amx, Verbose })
            command.Options.Add(o);
    }

    public string ModelPath(ParseResult r) => BundledModel.Resolve(r.GetValue(Model));

    public ModelParams ModelParams(ParseResult r)
    {
        var ngl = r.GetValue(GpuLayers);
        if (ngl < -1) throw new SharpInferException($"-ngl {ngl}: must be 0 or more");
        return new ModelParams
        {
            NGpuLayers = ngl < 0 ? int.MaxValue : ngl,
            SplitMode = ParseSplitMode(r.GetValue(SplitMode)!),
            MainGpu = NonNegative(r.GetValue(MainGpu), "-mg"),
            TensorSplit = ParseTensorSplit(r.GetValue(TensorSplit)),
            UseMmap = !r.GetValue(NoMmap),
            UseMlock = r.GetValue(Mlock),
            CheckTensors = r.GetValue(CheckTensors),
            UseAmx = r.GetValue(Amx),
        };
    }

    public ContextParams ContextParams(ParseResult r) => new()
    {
        ContextLength = NonNegative(r.GetValue(ContextSize), "-c"),
        BatchSize = Positive(r.GetValue(BatchSize), "-b"),
        MicroBatchSize = Positive(r.GetValue(UBatchSize), "-ub"),
        Threads = NonNegative(r.GetValue(Threads), "-t"),
        TypeK = ParseCacheType(r.GetValue(CacheTypeK)!, "-ctk"),
        TypeV = ParseCacheType(r.GetValue(CacheTypeV)!, "-ctv"),
    };

    private static int Positive(int v, string flag) => v > 0 ? v : throw new SharpInferException($"{flag} {v}: must be positive");

    private static int NonNegative(int v, string flag) => v >= 0 ? v : throw new SharpInferException($"{flag} {v}: must not be negative");

    private static GgmlType ParseCacheType(string s, string flag) => s.ToLowerInvariant() switch
    {
        "f16" => GgmlType.F16,
        "f32" => GgmlType.F32,
        _ => throw new SharpInferException($"{flag} {s}: unsupported cache type (use f16 or f32)"),
    };

    private static SplitMode ParseSplitMode(string s) => s.ToLowerInvariant() switch
    {
        "none" => Models.SplitMode.None,
        "layer" => Models.SplitMode.Layer,
        "row" => Models.SplitMode.Row,
        _ => throw new SharpInferException($"-sm {s}: expected none, layer or row"),
    };

    private static IReadOnlyList<float>? ParseTensorSplit(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        var parts = s.Split(',', '/');
        var result = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]) || result[i] < 0 || !float.IsFinite(result[i]))
                throw new SharpInferException($"-ts {s}: '{parts[i]}' is not a non-negative number");
        }
        return result;
    }
}
