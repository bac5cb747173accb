using ILGPU;
using ILGPU.Runtime;
using SharpInfer.Backends.Cpu;
using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Placement;

namespace SharpInfer.Backends.Gpu.Offload;

/// <summary>The weights of one offloaded transformer block, on its home GPU (matrices may be row-split).</summary>
internal sealed class GpuLayer
{
    public required int Index;
    public required GpuDevice Home;
    public required MemoryBuffer1D<float, Stride1D.Dense> AttnNorm, FfnNorm;
    public required DeviceMatrix Wq, Wk, Wv, Wo, FfnGate, FfnUp, FfnDown;
    public MemoryBuffer1D<float, Stride1D.Dense>? Bq, Bk, Bv, Bo, QNorm, KNorm;
}

/// <summary>The output norm and projection when the output layer is offloaded (-ngl > n_layer).</summary>
internal sealed class GpuOutput
{
    public required GpuDevice Home;
    public required MemoryBuffer1D<float, Stride1D.Dense> Norm;
    public required DeviceMatrix W;
}

/// <summary>
/// The offloaded part of a model, uploaded as the plan says: layers from <see cref="FirstLayer"/>
/// on (llama.cpp's i_gpu_start) live on their GPU with their norms and biases, matrices whole or
/// split by rows, and the output layer too when it is offloaded. Created by Model.Load
/// from the model's one plan when -ngl is not 0 and a GPU backend exists.
/// </summary>
internal sealed class GpuModel : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private GpuModel(GpuRuntime runtime, Plan plan)
    {
        Runtime = runtime;
        Plan = plan;
    }

    public GpuRuntime Runtime { get; }
    public Plan Plan { get; }
    public int FirstLayer { get; private set; }
    public IReadOnlyList<GpuLayer> Layers { get; private set; } = [];
    public GpuOutput? Output { get; private set; }

    /// <summary>Uploads the weights <paramref name="plan"/> put on <paramref name="runtime"/>'s devices.</summary>
    public static GpuModel Create(Plan plan, GpuRuntime runtime, Hyperparameters hp, ModelWeights weights)
    {
        var model = new GpuModel(runtime, plan);
        try
        {
            model.Upload(hp, weights);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private GpuDevice? DeviceOf(string tensor)
    {
        var e = Plan.Find(tensor) ?? throw new SharpInferException($"plan has no tensor '{tensor}'");
        return e.BufferType.IsHost ? null : ByName(e.BufferType.Device.Name);
    }

    private GpuDevice ByName(string name)
    {
        foreach (var d in Runtime.Devices) if (d.Info.Name == name) return d;
        throw new SharpInferException($"plan names device {name}, which this runtime lacks");
    }

    private void Upload(Hyperparameters hp, ModelWeights w)
    {
        int n = hp.BlockCount;
        FirstLayer = n;
        for (int l = n - 1; l >= 0 && DeviceOf($"blk.{l}.attn_norm.weight") is not null; l--) FirstLayer = l;
        var layers = new List<GpuLayer>();
        for (int l = FirstLayer; l < n; l++)
        {
            var lw = w.Layers[l];
            var home = DeviceOf($"blk.{l}.attn_norm.weight")!;
            layers.Add(new GpuLayer
            {
                Index = l,
                Home = home,
                AttnNorm = Floats(home, lw.AttnNorm)!,
                FfnNorm = Floats(home, lw.FfnNorm)!,
                Wq = Matrix(lw.Wq, home, Plan.Find(lw.Wq.Name)),
                Wk = Matrix(lw.Wk, home, Plan.Find(lw.Wk.Name)),
                Wv = Matrix(lw.Wv, home, Plan.Find(lw.Wv.Name)),
                Wo = Matrix(lw.Wo, home, Plan.Find(lw.Wo.Name)),
                FfnGate = Matrix(lw.FfnGate, home, Plan.Find(lw.FfnGate.Name)),
                FfnUp = Matrix(lw.FfnUp, home, Plan.Find(lw.FfnUp.Name)),
                FfnDown = Matrix(lw.FfnDown, home, Plan.Find(lw.FfnDown.Name)),
                Bq = Floats(home, lw.Bq), Bk = Floats(home, lw.Bk), Bv = Floats(home, lw.Bv), Bo = Floats(home, lw.Bo),
                QNorm = Floats(home, lw.QNorm), KNorm = Floats(home, lw.KNorm),
            });
        }
        Layers = layers;

        if (DeviceOf("output_norm.weight") is { } outHome)
        {
            // Tied embeddings: the planner's copy of token_embd for the output layer, when it made one.
            PlanEntry? entry = Plan.Find(w.Output.Name);
            foreach (var e in Plan.Entries)
                if (e.IsDuplicate && e.Role.Kind == LayerKind.Output) entry = e;
            if (entry is not null && entry.BufferType.IsHost && entry.Rows is null) entry = null;
            Output = new GpuOutput { Home = outHome, Norm = Floats(outHome, w.OutputNorm)!, W = Matrix(w.Output, outHome, entry) };
        }
    }

    private MemoryBuffer1D<float, Stride1D.Dense>? Floats(GpuDevice device, float[]? data)
    {
        if (data is null) return null;
        var b = device.Accelerator.Allocate1D(data);
        _owned.Add(b);
        return b;
    }

    private DeviceMatrix Matrix(WeightMatrix w, GpuDevice home, PlanEntry? entry)
    {
        var slices = new List<(GpuDevice, int, int)>();
        if (entry?.Rows is { } rows)
            foreach (var s in rows) slices.Add((ByName(s.Device), checked((int)s.FirstRow), checked((int)s.RowCount)));
        else if (entry is not null && !entry.BufferType.IsHost)
            slices.Add((ByName(entry.BufferType.Device.Name), 0, w.Rows));
        else
            slices.Add((home, 0, w.Rows));
        var m = DeviceMatrix.Upload(w, slices);
        _owned.Add(m);
        return m;
    }

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
        _owned.Clear(); // the runtime is shared by the process (GpuRuntime.Shared)
    }
}
