using SharpInfer.Backends;
using SharpInfer.Backends.Gpu;
using SharpInfer.Format.Gguf;
using SharpInfer.Models;
using SharpInfer.Numerics;

namespace SharpInfer.Placement;

/// <summary>
/// Decides where every weight lives: a pure function of (tensors, n_layer, <see cref="ModelParams"/>,
/// backends). It follows llama.cpp's llm_load_tensors: layers before i_gpu_start = n_layer − ngl stay
/// on the CPU in the default CPU buffer type with host_buffer = true (the pinned host type of the
/// GPU backend when there is one), the others go to GPUs by split mode, the input layer stays on the
/// CPU and the output layer is placed like layer n_layer.
///
/// <c>--amx</c> (<see cref="ModelParams.UseAmx"/>) changes anything only when no layer is offloaded:
/// then CPU-layer matrix weights pick the first accepting type of [extra types…, CPU], and input and
/// output use plain CPU memory (host_buffer = false). The extra types are probed on that path only;
/// with UseAmx false the planner never reads them, so "off" is the same as "absent".
/// </summary>
public static class Planner
{
    public static Plan Create(PlanInput input, ModelParams parameters, BackendSet backends)
    {
        var messages = new List<string>();
        IReadOnlyList<BufferType> extras = [];
        int ngl = EffectiveGpuLayers(input.NLayer, parameters.NGpuLayers);
        if (parameters.UseAmx)
        {
            if (ngl > 0)
                messages.Add($"warning: --amx is ignored while layers are offloaded (-ngl {parameters.NGpuLayers}; --amx applies only with -ngl 0); weights are placed as without --amx");
            else
                extras = ProbeExtras(backends, messages);
        }

        var plan = Place(input, parameters, backends, ngl, extras, messages);
        CheckFit(plan, input, parameters, backends, ngl, extras);
        return plan;
    }

    private static int EffectiveGpuLayers(int nLayer, int requested) => requested < 0 ? nLayer + 1 : requested;

    /// <summary>The only place that touches extra buffer types; reached only under --amx with ngl = 0.</summary>
    private static IReadOnlyList<BufferType> ProbeExtras(BackendSet backends, List<string> messages)
    {
        var available = new List<BufferType>();
        var missing = new List<string>();
        foreach (var source in backends.Cpu.ExtraBufferTypes)
        {
            var probe = source.Probe();
            if (probe.Type is { } type) available.Add(type);
            else missing.Add($"{source.Name}: {probe.MissingReason}");
        }
        if (available.Count == 0)
        {
            string why = missing.Count == 0 ? "no extra buffer type is registered" : string.Join("; ", missing);
            messages.Add($"warning: --amx: this CPU offers no extra buffer type ({why}); weights are placed as without --amx");
        }
        else
        {
            string note = missing.Count == 0 ? "" : $" (not available: {string.Join("; ", missing)})";
            messages.Add($"--amx: CPU matrix weights use the first of {string.Join(", ", available.Select(t => t.Name))}, CPU that accepts them{note}");
        }
        return available;
    }

    private sealed class Layout
    {
        public required IReadOnlyList<GpuBackend> Gpus;  // the GPUs layers may use (SplitMode.None: only the main one)
        public required float[] Splits;                  // cumulative, normalised split points (llama.cpp's splits)
        public required int GpuStart;
        public required int ActiveGpuLayers;
        public required BufferType CpuLayerType;         // the default CPU buffer type for CPU layers, input and output
        public required GpuSplitBufferType? RowSplit;
        public required GpuBackend? Main;
    }

    internal static Plan Place(PlanInput input, ModelParams p, BackendSet backends, int ngl,
        IReadOnlyList<BufferType> extras, IReadOnlyList<string> messages)
    {
        int nLayer = input.NLayer;
        var layout = MakeLayout(nLayer, p, backends, ngl, extras.Count > 0);
        var cpuDefault = backends.Cpu.DefaultBufferType;

        var entries = new List<PlanEntry>(input.Tensors.Count + 1);
        GgufTensorInfo? tokenEmbd = null, output = null;
        BufferType? tokenEmbdType = null;
        foreach (var t in input.Tensors)
        {
            var role = TensorRole.Classify(t, nLayer);
            var candidates = CandidatesFor(role, layout, nLayer);
            if (extras.Count > 0 && role.Kind == LayerKind.Repeating && MayUseExtraType(t, role))
                candidates = [.. extras, .. candidates];
            var type = Select(t, role.Op, candidates, cpuDefault);
            entries.Add(MakeEntry(t, role, type, layout, false));
            if (t.Name == "token_embd.weight") { tokenEmbd = t; tokenEmbdType = type; }
            if (t.Name == "output.weight") output = t;
        }

        // Tied embeddings: llama.cpp creates the output projection from token_embd.weight in the output
        // layer's buffer type, and needs a second copy only when that type differs.
        if (output is null && tokenEmbd is not null)
        {
            var role = new TensorRole(LayerKind.Output, nLayer, WeightOp.MatMul, false);
            var type = Select(tokenEmbd, WeightOp.MatMul, CandidatesFor(role, layout, nLayer), cpuDefault);
            if (type != tokenEmbdType) entries.Add(MakeEntry(tokenEmbd, role, type, layout, true));
        }

        int offloaded = layout.Gpus.Count == 0 ? 0 : Math.Min(Math.Max(ngl, 0), nLayer + 1);
        return new Plan(nLayer, p.NGpuLayers, layout.GpuStart, offloaded, p, entries,
            Buffers(entries, p.UseMmap), Devices(entries, backends), messages);
    }

    /// <summary>Norms, biases, F32 tensors, embeddings, the output layer and experts never use an extra type.</summary>
    private static bool MayUseExtraType(GgufTensorInfo t, TensorRole role) =>
        role.Kind == LayerKind.Repeating && role.Op == WeightOp.MatMul && !role.IsExpert && t.Type != GgmlType.F32;

    private static Layout MakeLayout(int nLayer, ModelParams p, BackendSet backends, int ngl, bool extrasActive)
    {
        var all = backends.Gpus;
        GpuBackend? main = null;
        if (all.Count > 0)
        {
            if (p.MainGpu < 0 || p.MainGpu >= all.Count)
                throw new SharpInferException($"-mg {p.MainGpu}: there are {all.Count} GPUs (0..{all.Count - 1})");
            main = all[p.MainGpu];
        }
        IReadOnlyList<GpuBackend> gpus = p.SplitMode == SplitMode.None && main is not null ? [main] : all;

        // host_buffer = true: the main GPU's pinned host type when a GPU backend exists. Under active
        // --amx (ngl = 0 and an extra type exists) host_buffer = false: plain CPU memory.
        BufferType cpuLayerType = !extrasActive && main?.HostBufferType is { } host ? host : backends.Cpu.DefaultBufferType;

        return new Layout
        {
            Gpus = gpus,
            Splits = SplitPoints(gpus, p.TensorSplit),
            GpuStart = Math.Max(nLayer - ngl, 0),
            ActiveGpuLayers = gpus.Count == 0 ? 0 : Math.Min(ngl, nLayer + 1),
            CpuLayerType = cpuLayerType,
            RowSplit = p.SplitMode == SplitMode.Row && main is not null ? new GpuSplitBufferType(main.Device) : null,
            Main = main,
        };
    }

    /// <summary>llama.cpp's split points: -ts proportions, or free memory when none is given; summed and normalised in float.</summary>
    internal static float[] SplitPoints(IReadOnlyList<GpuBackend> gpus, IReadOnlyList<float>? tensorSplit)
    {
        var splits = new float[gpus.Count];
        if (splits.Length == 0) return splits;
        bool allZero = true;
        if (tensorSplit is not null)
            for (int i = 0; i < splits.Length && i < tensorSplit.Count; i++)
            {
                if (tensorSplit[i] < 0 || float.IsNaN(tensorSplit[i]))
                    throw new SharpInferException($"-ts: proportion {tensorSplit[i]} for GPU {i} is negative");
                if (tensorSplit[i] != 0f) allZero = false;
            }
        for (int i = 0; i < splits.Length; i++)
            splits[i] = allZero ? (float)(ulong)gpus[i].Device.FreeMemory : i < tensorSplit!.Count ? tensorSplit[i] : 0f;

        float sum = 0f;
        for (int i = 0; i < splits.Length; i++) { sum += splits[i]; splits[i] = sum; }
        if (sum == 0f)
        {
            // no proportions and no memory figures: equal shares
            for (int i = 0; i < splits.Length; i++) splits[i] = (float)(i + 1) / splits.Length;
            return splits;
        }
        for (int i = 0; i < splits.Length; i++) splits[i] /= sum;
        return splits;
    }

    /// <summary>The buffer-type list of a layer (il = n_layer is the output layer), llama.cpp's get_layer_buft_list.</summary>
    private static BufferType[] CandidatesFor(TensorRole role, Layout layout, int nLayer)
    {
        if (role.Kind == LayerKind.Input) return [layout.CpuLayerType];
        int il = role.Kind == LayerKind.Output ? nLayer : role.Layer;
        if (il < layout.GpuStart || il - layout.GpuStart >= layout.ActiveGpuLayers) return [layout.CpuLayerType];
        if (layout.RowSplit is not null) return [layout.RowSplit, layout.Main!.DefaultBufferType];
        if (layout.Gpus.Count == 1) return [layout.Gpus[0].DefaultBufferType];
        float x = (float)(il - layout.GpuStart) / layout.ActiveGpuLayers;
        int gpu = 0;
        while (gpu < layout.Splits.Length && !(layout.Splits[gpu] > x)) gpu++; // std::upper_bound
        return [layout.Gpus[Math.Min(gpu, layout.Gpus.Count - 1)].DefaultBufferType];
    }

    private static BufferType Select(GgufTensorInfo t, WeightOp op, IReadOnlyList<BufferType> candidates, BufferType fallback)
    {
        foreach (var type in candidates)
            if (type.SupportsWeight(t, op)) return type;
        return fallback; // llama.cpp appends the CPU list to every device's list
    }

    private static PlanEntry MakeEntry(GgufTensorInfo t, TensorRole role, BufferType type, Layout layout, bool duplicate)
    {
        IReadOnlyList<RowSlice>? rows = null;
        long bytes;
        if (type is GpuSplitBufferType)
        {
            rows = RowSlices(t, layout);
            bytes = 0;
            foreach (var s in rows) bytes += s.Bytes;
        }
        else bytes = type.AlignUp(type.GetAllocSize(t));
        return new PlanEntry(t.Name, t.Type, t.Dimensions, role, type, bytes, duplicate, rows);
    }

    /// <summary>ggml-cuda's get_row_split: each GPU's rows from the split points, rounded down to the row rounding.</summary>
    private static IReadOnlyList<RowSlice> RowSlices(GgufTensorInfo t, Layout layout)
    {
        long nrows = t.RowCount;
        long rowBytes = t.TypeInfo.RowBytes(t.RowLength);
        int rounding = layout.Main!.Device.RowSplitRounding;
        var gpus = layout.Gpus;
        var slices = new List<RowSlice>(gpus.Count);
        for (int id = 0; id < gpus.Count; id++)
        {
            long low = id == 0 ? 0 : (long)(nrows * layout.Splits[id - 1]);
            low -= low % rounding;
            long high;
            if (id == gpus.Count - 1) high = nrows;
            else { high = (long)(nrows * layout.Splits[id]); high -= high % rounding; }
            if (high > low) slices.Add(new RowSlice(gpus[id].Device.Name, low, high - low, (high - low) * rowBytes));
        }
        return slices;
    }

    private static IReadOnlyList<PlanBuffer> Buffers(List<PlanEntry> entries, bool useMmap)
    {
        var order = new List<BufferType>();
        var bytes = new Dictionary<BufferType, long>();
        var counts = new Dictionary<BufferType, int>();
        foreach (var e in entries)
        {
            if (!bytes.ContainsKey(e.BufferType)) { order.Add(e.BufferType); bytes[e.BufferType] = 0; counts[e.BufferType] = 0; }
            bytes[e.BufferType] += e.Bytes;
            counts[e.BufferType]++;
        }
        return order.Select(t => new PlanBuffer(t, bytes[t], counts[t], useMmap && t.IsHost && t.KeepsFileLayout)).ToArray();
    }

    private static IReadOnlyList<PlanDevice> Devices(List<PlanEntry> entries, BackendSet backends)
    {
        var result = new List<PlanDevice>(backends.Gpus.Count);
        foreach (var gpu in backends.Gpus)
            result.Add(new PlanDevice(gpu.Device.Name, gpu.Device.FreeMemory, gpu.Device.TotalMemory, BytesOn(entries, gpu.Device.Name, int.MaxValue)));
        return result;
    }

    /// <summary>Bytes of the first <paramref name="upTo"/> entries that live in a device's memory.</summary>
    private static long BytesOn(IReadOnlyList<PlanEntry> entries, string device, int upTo)
    {
        long sum = 0;
        for (int i = 0; i < entries.Count && i < upTo; i++) sum += BytesOn(entries[i], device);
        return sum;
    }

    private static long BytesOn(PlanEntry e, string device)
    {
        if (e.Rows is not null)
        {
            long sum = 0;
            foreach (var s in e.Rows) if (s.Device == device) sum += s.Bytes;
            return sum;
        }
        return !e.BufferType.IsHost && e.BufferType.Device.Name == device ? e.Bytes : 0;
    }

    private static (PlanDevice Device, int Entry)? FirstOverflow(Plan plan)
    {
        foreach (var d in plan.Devices)
        {
            if (d.FreeMemory <= 0 || d.PlannedBytes <= d.FreeMemory) continue;
            long sum = 0;
            for (int i = 0; i < plan.Entries.Count; i++)
            {
                sum += BytesOn(plan.Entries[i], d.Name);
                if (sum > d.FreeMemory) return (d, i);
            }
        }
        return null;
    }

    private static void CheckFit(Plan plan, PlanInput input, ModelParams p, BackendSet backends, int ngl, IReadOnlyList<BufferType> extras)
    {
        if (FirstOverflow(plan) is not var (device, index)) return;
        var entry = plan.Entries[index];
        long tensorBytes = BytesOn(entry, device.Name);
        long upTo = BytesOn(plan.Entries, device.Name, index + 1);

        int fitting = 0;
        for (int k = Math.Min(ngl, input.NLayer + 1) - 1; k > 0; k--)
            if (FirstOverflow(Place(input, p, backends, k, extras, [])) is null) { fitting = k; break; }

        throw new PlacementException(
            $"{device.Name}: the weights do not fit with -ngl {p.NGpuLayers}: tensor '{entry.Name}' ({Units.MiB(tensorBytes)}) " +
            $"brings {device.Name} to {Units.MiB(upTo)} but only {Units.MiB(device.FreeMemory)} are free; -ngl {fitting} fits",
            device.Name, entry.Name, tensorBytes, fitting);
    }
}
