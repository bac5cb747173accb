using SharpInfer.Backends;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Placement;

/// <summary>A weight where the plan put it: its bytes are in <see cref="BufferType"/>'s layout.</summary>
public readonly unsafe struct WeightView(GgufTensorInfo tensor, BufferType bufferType, byte* data)
{
    public GgufTensorInfo Tensor { get; } = tensor;
    public BufferType BufferType { get; } = bufferType;
    public byte* Data { get; } = data;

    /// <summary>The bytes are not the file's: only <see cref="BufferType"/>'s kernels may read them.</summary>
    public bool IsRepacked => !BufferType.KeepsFileLayout;
}

/// <summary>
/// The weights of a model placed by a <see cref="Plan"/>: the second reader of the plan (printing is
/// the first). Buffers in the file's layout that a mapped file can serve are used in place; every
/// other buffer is allocated from its type and each tensor written through <see cref="BufferType.WriteTensor"/>
/// (which repacks for CPU_REPACK/AMX). Keep the <see cref="GgufFile"/> open while this is in use.
/// </summary>
public sealed unsafe class LoadedWeights : IDisposable
{
    private readonly Dictionary<string, WeightView> _byName;
    private readonly List<BackendBuffer> _buffers;

    private LoadedWeights(Dictionary<string, WeightView> byName, List<BackendBuffer> buffers)
    {
        _byName = byName;
        _buffers = buffers;
    }

    /// <summary>Buffers this object allocated (mapped ones are not among them).</summary>
    public IReadOnlyList<BackendBuffer> Buffers => _buffers;

    /// <param name="plan">Where each tensor goes.</param>
    /// <param name="file">The model file.</param>
    /// <param name="progress">Called with the fraction of tensors placed so far (0..1).</param>
    public static LoadedWeights Load(Plan plan, GgufFile file, Action<float>? progress = null)
    {
        var buffers = new List<BackendBuffer>();
        var byName = new Dictionary<string, WeightView>(StringComparer.Ordinal);
        try
        {
            var allocated = new Dictionary<BufferType, (BackendBuffer Buffer, long Used)>();
            foreach (var b in plan.Buffers)
            {
                if (b.Mapped) continue;
                var buffer = b.BufferType.Allocate(b.Bytes);
                buffers.Add(buffer);
                allocated[b.BufferType] = (buffer, 0);
            }
            var done = 0;
            foreach (var e in plan.Entries)
            {
                progress?.Invoke(done++ / (float)plan.Entries.Count);
                if (e.IsDuplicate) continue; // a copy for another device; the CPU reads the original
                var tensor = file.FindTensor(e.Name) ?? throw new SharpInferException($"{file.Path}: plan names tensor '{e.Name}' that the file lacks");
                byte* data;
                if (allocated.TryGetValue(e.BufferType, out var slot))
                {
                    data = slot.Buffer.Data + slot.Used;
                    e.BufferType.WriteTensor(data, tensor, file.GetTensorData(tensor));
                    allocated[e.BufferType] = (slot.Buffer, slot.Used + e.Bytes);
                }
                else data = file.GetTensorPointer(tensor);
                byName[e.Name] = new WeightView(tensor, e.BufferType, data);
            }
        }
        catch
        {
            foreach (var b in buffers) b.Dispose();
            throw;
        }
        progress?.Invoke(1f);
        return new LoadedWeights(byName, buffers);
    }

    public WeightView this[string name] =>
        _byName.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"no weight '{name}'");

    public bool TryGet(string name, out WeightView view) => _byName.TryGetValue(name, out view);

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }
}
