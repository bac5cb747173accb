using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using SharpInfer.Backends.Gpu.Kernels;
using SharpInfer.Models;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;

namespace SharpInfer.Backends.Gpu.Offload;

/// <summary>
/// One context's state on the GPUs: each offloaded layer's KV cache on its home device, activation
/// scratch per device, and host staging through which activations cross between the CPU and a GPU
/// or between two GPUs. Runs the offloaded layers (and the output layer when it is offloaded) of one
/// physical batch with the same operations as <see cref="ForwardPass"/>.
/// </summary>
internal sealed class GpuSession : IDisposable
{
    private sealed class Scratch(Accelerator a, int maxTokens, Hyperparameters hp, int widestK, int widestM, int cacheSize, int attnChunk)
    {
        public readonly MemoryBuffer1D<float, Stride1D.Dense> X = a.Allocate1D<float>((long)maxTokens * hp.EmbeddingLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Cur = a.Allocate1D<float>((long)maxTokens * hp.EmbeddingLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Q = a.Allocate1D<float>((long)maxTokens * hp.HeadCount * hp.KeyLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> K = a.Allocate1D<float>((long)maxTokens * hp.KeyWidth);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> V = a.Allocate1D<float>((long)maxTokens * hp.ValueWidth);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Attn = a.Allocate1D<float>((long)maxTokens * hp.HeadCount * hp.ValueLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Proj = a.Allocate1D<float>((long)maxTokens * Math.Max(hp.EmbeddingLength, widestM));
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Gate = a.Allocate1D<float>((long)maxTokens * hp.FeedForwardLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Up = a.Allocate1D<float>((long)maxTokens * hp.FeedForwardLength);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Scores = a.Allocate1D<float>((long)attnChunk * hp.HeadCount * cacheSize);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> RopeTable = a.Allocate1D<float>((long)maxTokens * Math.Max(hp.RopeDimensionCount, 2));
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Act = a.Allocate1D<float>((long)maxTokens * widestK);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> SplitIn = a.Allocate1D<float>((long)maxTokens * widestK);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> SplitOut = a.Allocate1D<float>((long)maxTokens * widestM);

        public void Dispose()
        {
            foreach (var b in new[] { Act, X, Cur, Q, K, V, Attn, Proj, Gate, Up, Scores, RopeTable, SplitIn, SplitOut }) b.Dispose();
        }
    }

    private sealed class LayerCache(Accelerator a, int size, int kW, int vW, bool kF16, bool vF16)
    {
        public readonly bool KF16 = kF16, VF16 = vF16;
        public readonly MemoryBuffer1D<float, Stride1D.Dense> KF32 = a.Allocate1D<float>(kF16 ? 1 : (long)size * kW);
        public readonly MemoryBuffer1D<ushort, Stride1D.Dense> KHalf = a.Allocate1D<ushort>(kF16 ? (long)size * kW : 1);
        public readonly MemoryBuffer1D<float, Stride1D.Dense> VF32 = a.Allocate1D<float>(vF16 ? 1 : (long)size * vW);
        public readonly MemoryBuffer1D<ushort, Stride1D.Dense> VHalf = a.Allocate1D<ushort>(vF16 ? (long)size * vW : 1);

        public void Dispose()
        {
            KF32.Dispose(); KHalf.Dispose(); VF32.Dispose(); VHalf.Dispose();
        }
    }

    // Scores take chunk × heads × context floats; long prompts attend in chunks of tokens to bound them.
    private const long ScoresBudget = 16L << 20;

    private readonly GpuModel _model;
    private readonly Hyperparameters _hp;
    private readonly Rope _rope;
    private readonly int _cacheSize, _attnChunk;
    private readonly bool _neox;
    private readonly Dictionary<GpuDevice, Scratch> _scratch = [];
    private readonly LayerCache[] _caches;
    // Page-locked (pinned) host staging, llama.cpp's CUDA_Host role for activations: every copy
    // between host and device goes through these, so DMA never reads pageable or movable memory.
    private readonly PageLockedArray1D<float> _hostX, _hostIn, _hostOut, _hostPart, _table;
    // Devices that hold this batch's RoPE table: uploaded once per batch and device, not per layer
    // (every upload synchronises the device's stream: ILGPU's CopyFromCPU waits for the copy).
    private readonly HashSet<GpuDevice> _tableOn = [];

    public GpuSession(GpuModel model, Model cpuModel, int cacheSize, GgmlType typeK, GgmlType typeV, int maxTokens)
    {
        _model = model;
        var hp = _hp = cpuModel.Hyperparameters;
        _rope = new Rope(hp.RopeDimensionCount, cpuModel.Architecture.Rope, hp.RopeFreqBase, hp.RopeFreqScale, cpuModel.Weights.RopeFreqFactors);
        _neox = cpuModel.Architecture.Rope == RopeStyle.NeoX;
        _cacheSize = cacheSize;
        _attnChunk = (int)Math.Clamp(ScoresBudget / ((long)hp.HeadCount * cacheSize), 1, maxTokens);
        int widestK = Math.Max(hp.EmbeddingLength, Math.Max(hp.FeedForwardLength, hp.HeadCount * hp.ValueLength));
        int widestM = Math.Max(Math.Max(hp.FeedForwardLength, hp.HeadCount * hp.KeyLength), hp.EmbeddingLength);
        if (model.Output is not null) widestM = Math.Max(widestM, model.Output.W.M);
        RequireRoomForCaches(model, cacheSize, hp, typeK, typeV);
        try
        {
            foreach (var d in model.Runtime.Devices)
                _scratch[d] = new Scratch(d.Accelerator, maxTokens, hp, widestK, widestM, cacheSize, _attnChunk);
            _caches = new LayerCache[model.Layers.Count];
            for (int i = 0; i < _caches.Length; i++)
                _caches[i] = new LayerCache(model.Layers[i].Home.Accelerator, cacheSize, hp.KeyWidth, hp.ValueWidth, typeK == GgmlType.F16, typeV == GgmlType.F16);
        }
        catch (Exception e) when (e is AcceleratorException or OutOfMemoryException)
        {
            foreach (var scratch in _scratch.Values) scratch.Dispose();
            if (_caches is not null) foreach (var c in _caches) c?.Dispose();
            throw new SharpInferException($"GPU: cannot allocate the KV cache and scratch of the offloaded layers (-c {cacheSize}, batch {maxTokens}): " +
                $"{e.GetBaseException().Message}; lower -c, -ub or -ngl");
        }
        var pinning = model.Runtime.Devices[0].Accelerator;
        _hostX = pinning.AllocatePageLocked1D<float>((long)maxTokens * hp.EmbeddingLength);
        _hostIn = pinning.AllocatePageLocked1D<float>((long)maxTokens * widestK);
        _hostOut = pinning.AllocatePageLocked1D<float>((long)maxTokens * widestM);
        _hostPart = pinning.AllocatePageLocked1D<float>((long)maxTokens * widestM);
        _table = pinning.AllocatePageLocked1D<float>((long)maxTokens * Math.Max(hp.RopeDimensionCount, 2));
    }

    /// <summary>
    /// llama.cpp fails at context creation when the KV cache does not fit ("failed to allocate buffer
    /// for kv cache"); this says before allocating which device, how much and what to lower.
    /// </summary>
    private static void RequireRoomForCaches(GpuModel model, int cacheSize, Hyperparameters hp, GgmlType typeK, GgmlType typeV)
    {
        foreach (var d in model.Runtime.Devices)
        {
            int layers = 0;
            foreach (var l in model.Layers) if (l.Home == d) layers++;
            if (layers == 0) continue;
            long needed = CacheBytes(cacheSize, hp.KeyWidth, hp.ValueWidth, typeK, typeV) * layers;
            long free = d.FreeMemoryNow();
            if (free >= 0 && needed > free)
                throw new SharpInferException(CacheDoesNotFit(d.Info.Name, layers, cacheSize, typeK, typeV, needed, free));
        }
    }

    /// <summary>One layer's K and V cache on a device, in bytes.</summary>
    internal static long CacheBytes(int cacheSize, int keyWidth, int valueWidth, GgmlType typeK, GgmlType typeV) =>
        (long)cacheSize * (keyWidth * (typeK == GgmlType.F16 ? 2L : 4L) + valueWidth * (typeV == GgmlType.F16 ? 2L : 4L));

    internal static string CacheDoesNotFit(string device, int layers, int cacheSize, GgmlType typeK, GgmlType typeV, long needed, long free) =>
        $"{device}: the KV cache of its {layers} offloaded layers (-c {cacheSize}, K {typeK.ToString().ToLowerInvariant()}, " +
        $"V {typeV.ToString().ToLowerInvariant()}) needs {Placement.Units.MiB(needed)} but only {Placement.Units.MiB(free)} are free " +
        $"after the weights; lower -c or -ngl";

    /// <summary>First layer that runs here; layers before it run on the CPU.</summary>
    public int FirstLayer => _model.FirstLayer;

    /// <summary>
    /// Runs the offloaded layers on <paramref name="x"/> (n × n_embd, host; updated in place). When the
    /// output layer is offloaded too, writes the logits of rows firstOutput… and returns true.
    /// </summary>
    public bool Run(Span<float> x, int n, int p0, int firstOutput, Span<float> logits)
    {
        var hp = _hp;
        int e = hp.EmbeddingLength, nRot = hp.RopeDimensionCount;
        for (int t = 0; t < n; t++)
        {
            _rope.SetPosition(p0 + t);
            _rope.Table.CopyTo(_table.Span.Slice(t * nRot, nRot));
        }
        _tableOn.Clear();

        GpuDevice? current = null;
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var layer = _model.Layers[i];
            bool addPending = current is not null;
            if (addPending && current != layer.Home)
            {
                FlushAdd(current!, n);
                addPending = false;
            }
            current = MoveActivations(current, layer.Home, x, n * e);
            RunLayer(layer, _caches[i], n, p0, addPending);
        }
        if (current is not null) FlushAdd(current, n);

        var output = _model.Output;
        if (output is null || n - firstOutput <= 0)
        {
            if (current is not null) DownloadVia(current, _scratch[current].X.View, x[..(n * e)]);
            return output is not null;
        }
        current = MoveActivations(current, output.Home, x, n * e);
        var s = _scratch[current];
        int nOut = n - firstOutput;
        var k = current.Kernels;
        k.RmsNorm(s.X.View.SubView((long)firstOutput * e, (long)nOut * e), output.Norm.View, s.Cur.View, e, nOut, hp.RmsNormEpsilon);
        int outRounded = NotRounded;
        Project(output.W, current, Rounded(output.W, current, s.Cur.View, nOut, ref outRounded), s.SplitOut.View, nOut, null);
        DownloadVia(current, s.SplitOut.View, logits[..(nOut * output.W.M)]);
        return true;
    }

    /// <summary>Gets the residual stream onto <paramref name="target"/> (from the host, or from another GPU through the host).</summary>
    private GpuDevice MoveActivations(GpuDevice? from, GpuDevice target, Span<float> x, int length)
    {
        if (from == target) return target;
        if (from is not null) DownloadVia(from, _scratch[from].X.View, x[..length]);
        x[..length].CopyTo(_hostX.Span);
        Upload(target, _hostX.Span[..length], _scratch[target].X.View);
        return target;
    }

    /// <summary>
    /// One layer on its device. <paramref name="addPending"/>: the previous layer, on the same device,
    /// left its residual add (X += Proj) to this layer's attention norm (one launch for both). Leaves
    /// its own residual add pending.
    /// </summary>
    private void RunLayer(GpuLayer L, LayerCache cache, int n, int p0, bool addPending)
    {
        var hp = _hp;
        var d = L.Home;
        var k = d.Kernels;
        var s = _scratch[d];
        int e = hp.EmbeddingLength, qW = hp.HeadCount * hp.KeyLength, nRot = hp.RopeDimensionCount;
        float eps = hp.RmsNormEpsilon;
        d.Accelerator.Bind();
        // before the batch's first launch on d: the upload's synchronisation then waits for nothing
        if (_tableOn.Add(d)) Upload(d, _table.Span[..(n * nRot)], s.RopeTable.View);

        if (addPending) k.AddRmsNorm(s.X.View, s.Proj.View, L.AttnNorm.View, s.Cur.View, e, n, eps);
        else k.RmsNorm(s.X.View, L.AttnNorm.View, s.Cur.View, e, n, eps);
        int rounded = NotRounded; // the rounding s.Act holds of s.Cur: Q, K and V (gate and up) share one
        if (n == 1 && SharesLaunch(d, L.Wq, L.Wk, L.Wv))
        {
            k.MatMulShared(L.Wq.K, Rounded(L.Wq, d, s.Cur.View, n, ref rounded), On(d, L.Wq), s.Q.View, On(d, L.Wk), s.K.View, On(d, L.Wv), s.V.View);
            if (L.Bq is not null) k.AddBias(s.Q.View, L.Bq.View, L.Wq.M, n);
            if (L.Bk is not null) k.AddBias(s.K.View, L.Bk.View, L.Wk.M, n);
            if (L.Bv is not null) k.AddBias(s.V.View, L.Bv.View, L.Wv.M, n);
        }
        else
        {
            Project(L.Wq, d, Rounded(L.Wq, d, s.Cur.View, n, ref rounded), s.Q.View, n, L.Bq);
            Project(L.Wk, d, Rounded(L.Wk, d, s.Cur.View, n, ref rounded), s.K.View, n, L.Bk);
            Project(L.Wv, d, Rounded(L.Wv, d, s.Cur.View, n, ref rounded), s.V.View, n, L.Bv);
        }
        if (L.QNorm is not null) k.RmsNorm(s.Q.View, L.QNorm.View, s.Q.View, hp.KeyLength, n * hp.HeadCount, eps);
        if (L.KNorm is not null) k.RmsNorm(s.K.View, L.KNorm.View, s.K.View, hp.KeyLength, n * hp.HeadCountKv, eps);
        bool neox = _neox;
        k.RopeBoth(s.Q.View, s.K.View, s.RopeTable.View, n, hp.HeadCount, hp.HeadCountKv, hp.KeyLength, nRot, neox);
        k.StoreKeyValues(s.K.View, s.V.View, cache.KF32.View, cache.KHalf.View, cache.VF32.View, cache.VHalf.View,
            hp.KeyWidth, hp.ValueWidth, _cacheSize, p0, n, cache.KF16, cache.VF16);
        for (int t0 = 0; t0 < n; t0 += _attnChunk)
        {
            int c = Math.Min(_attnChunk, n - t0);
            k.Attention(s.Q.View.SubView((long)t0 * qW, (long)c * qW), cache.KF32.View, cache.KHalf.View, cache.VF32.View, cache.VHalf.View,
                s.Scores.View, s.Attn.View.SubView((long)t0 * hp.HeadCount * hp.ValueLength, (long)c * hp.HeadCount * hp.ValueLength), c, new AttentionArgs
                {
                    Heads = hp.HeadCount, GroupSize = hp.GroupSize, HeadK = hp.KeyLength, HeadV = hp.ValueLength,
                    KeyWidth = hp.KeyWidth, CacheSize = _cacheSize, P0 = p0 + t0, Scale = 1.0f / MathF.Sqrt(hp.KeyLength),
                    KF16 = cache.KF16 ? 1 : 0, VF16 = cache.VF16 ? 1 : 0,
                });
        }
        rounded = NotRounded;
        Project(L.Wo, d, Rounded(L.Wo, d, s.Attn.View, n, ref rounded), s.Proj.View, n, L.Bo);
        k.AddRmsNorm(s.X.View, s.Proj.View, L.FfnNorm.View, s.Cur.View, e, n, eps);
        rounded = NotRounded;
        if (n == 1 && SharesLaunch(d, L.FfnGate, L.FfnUp, null))
        {
            k.MatMulShared(L.FfnGate.K, Rounded(L.FfnGate, d, s.Cur.View, n, ref rounded), On(d, L.FfnGate), s.Gate.View, On(d, L.FfnUp), s.Up.View, default, default);
        }
        else
        {
            Project(L.FfnGate, d, Rounded(L.FfnGate, d, s.Cur.View, n, ref rounded), s.Gate.View, n, null);
            Project(L.FfnUp, d, Rounded(L.FfnUp, d, s.Cur.View, n, ref rounded), s.Up.View, n, null);
        }
        var down = s.Gate.View;
        if (L.FfnDown.Rounding == ActivationRounding.None)
        {
            k.SwiGlu(s.Gate.View, s.Up.View, s.Gate.View, n * hp.FeedForwardLength);
        }
        else
        {
            k.SwiGluRound(s.Gate.View, s.Up.View, s.Act.View, L.FfnDown.Rounding, L.FfnDown.K, n);
            down = s.Act.View;
        }
        Project(L.FfnDown, d, down, s.Proj.View, n, null);
        // the residual add (X += Proj) is left to the next layer's norm on this device, or to FlushAdd
    }

    /// <summary>The last layer's residual add, when no norm on the same device took it over.</summary>
    private void FlushAdd(GpuDevice d, int n)
    {
        d.Accelerator.Bind();
        d.Kernels.Add(_scratch[d].X.View, _scratch[d].Proj.View, n * _hp.EmbeddingLength);
    }

    private const int NotRounded = -1;

    /// <summary>Whether matrices of one input can share a launch: all whole on <paramref name="d"/>, rounding their input alike.</summary>
    private static bool SharesLaunch(GpuDevice d, DeviceMatrix a, DeviceMatrix b, DeviceMatrix? c) =>
        a.WholeOn(d) is not null && b.WholeOn(d) is not null && a.Rounding == b.Rounding && a.K == b.K
        && (c is null || (c.WholeOn(d) is not null && c.Rounding == a.Rounding && c.K == a.K));

    private static KernelSet.Weight On(GpuDevice d, DeviceMatrix m) => new(m.WholeOn(d)!.Data.View, m.Type, m.M, m.RowBytes);

    /// <summary>
    /// <paramref name="input"/> rounded as ggml's CPU rounds activations for <paramref name="w"/>: in
    /// <paramref name="home"/>'s Act scratch, rounded only when <paramref name="rounded"/> (what Act
    /// holds of this input) differs, so the matrices that share an input share one rounding launch.
    /// </summary>
    private ArrayView<float> Rounded(DeviceMatrix w, GpuDevice home, ArrayView<float> input, int n, ref int rounded)
    {
        if (w.Rounding == ActivationRounding.None) return input;
        var act = _scratch[home].Act.View;
        if (rounded != w.Rounding)
        {
            home.Kernels.RoundActivations(input, act, w.Rounding, w.K, n);
            rounded = w.Rounding;
        }
        return act;
    }

    /// <summary>
    /// output (n × M) = input (n × K) · Wᵀ on <paramref name="home"/>, the input already rounded for
    /// <paramref name="w"/> (<see cref="Rounded"/>). A matrix split by rows (or living
    /// on another GPU) is computed part by part on each part's device, the input and each part's rows
    /// travelling through host memory, and assembled on <paramref name="home"/>.
    /// </summary>
    private void Project(DeviceMatrix w, GpuDevice home, ArrayView<float> input, ArrayView<float> output, int n,
        MemoryBuffer1D<float, Stride1D.Dense>? bias)
    {
        if (w.WholeOn(home) is { } whole)
        {
            home.Kernels.MatMul(whole.Data.View, w.Type, w.K, w.M, w.RowBytes, input, output, n);
        }
        else
        {
            var hostIn = _hostIn.Span[..(n * w.K)];
            Download(home, input, hostIn);
            var hostOut = _hostOut.Span[..(n * w.M)];
            foreach (var part in w.Parts)
            {
                if (part.Rows == 0) continue;
                var dev = part.Device;
                var s = _scratch[dev];
                dev.Accelerator.Bind();
                Upload(dev, hostIn, s.SplitIn.View);
                dev.Kernels.MatMul(part.Data.View, w.Type, w.K, part.Rows, w.RowBytes, s.SplitIn.View, s.SplitOut.View, n);
                var hostPart = _hostPart.Span[..(n * part.Rows)];
                Download(dev, s.SplitOut.View, hostPart);
                for (int t = 0; t < n; t++)
                    hostPart.Slice(t * part.Rows, part.Rows).CopyTo(hostOut.Slice(t * w.M + part.FirstRow, part.Rows));
            }
            home.Accelerator.Bind();
            Upload(home, hostOut, output);
        }
        if (bias is not null) home.Kernels.AddBias(output, bias.View, w.M, n);
    }

    private static void Upload(GpuDevice d, ReadOnlySpan<float> src, ArrayView<float> dst)
    {
        if (src.Length == 0) return;
        dst.SubView(0, src.Length).CopyFromCPU(d.Accelerator.DefaultStream, ref MemoryMarshal.GetReference(src), src.Length);
    }

    /// <summary>Device → pinned staging → <paramref name="dst"/> (managed memory the CPU layers use).</summary>
    private void DownloadVia(GpuDevice d, ArrayView<float> src, Span<float> dst)
    {
        for (int o = 0; o < dst.Length; o += _hostOut.Span.Length)
        {
            int len = Math.Min(_hostOut.Span.Length, dst.Length - o);
            var staging = _hostOut.Span[..len];
            Download(d, src.SubView(o, len), staging);
            staging.CopyTo(dst.Slice(o, len));
        }
    }

    private static void Download(GpuDevice d, ArrayView<float> src, Span<float> dst)
    {
        if (dst.Length == 0) return;
        src.SubView(0, dst.Length).CopyToCPU(d.Accelerator.DefaultStream, ref MemoryMarshal.GetReference(dst), dst.Length);
    }

    public void Dispose()
    {
        foreach (var s in _scratch.Values) s.Dispose();
        foreach (var c in _caches) c.Dispose();
        foreach (var h in new[] { _hostX, _hostIn, _hostOut, _hostPart, _table }) h.Dispose();
    }
}
