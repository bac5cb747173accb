using ILGPU;
using ILGPU.Runtime;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>The kernels compiled for one accelerator, with launch helpers that take lengths instead of grid shapes.</summary>
internal sealed class KernelSet
{
    private readonly Action<KernelConfig, ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>? _matMul;
    private readonly Action<KernelConfig, ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>? _matMulTiled;
    private readonly Action<KernelConfig, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, SharedInputArgs>? _matMulShared;
    private readonly Action<Index1D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>? _matMulSerial;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _addBias;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int>? _roundActivations;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>? _roundActivationsSerial;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _swiGluRound;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _swiGluRoundSerial;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _add;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _rmsNorm;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _rmsNormSerial;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, RopeArgs> _rope;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, RopeArgs> _ropeBoth;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<ushort>, StoreArgs> _storeKeyValues;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _addRmsNorm;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _addRmsNormSerial;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _swiGlu;
    private readonly Action<Index1D, ArrayView<float>, int, float> _softmax;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, long, int> _storeKeys;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, int, int, int> _storeValues;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<ushort>,
        ArrayView<float>, ArrayView<float>, AttentionArgs>? _attention;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<ushort>,
        ArrayView<float>, ArrayView<float>, AttentionArgs>? _attentionSerial;

    // Threads per group of the grouped kernels: powers of two, multiples of the warp size (or a single
    // thread), within the accelerator's limit (CUDA: warps of 32; the CPU stand-ins: GpuRuntime's).
    private readonly int _warp, _rowGroup, _attentionGroup, _normGroup;

    public KernelSet(Accelerator accelerator, int maxGroup = int.MaxValue)
    {
        Accelerator = accelerator;
        int limit = Math.Min(maxGroup, accelerator.MaxNumThreadsPerGroup);
        // one warp, or a single thread where the stand-ins are told to run groups serially
        _warp = Math.Min(accelerator.WarpSize, limit);
        _rowGroup = _warp;
        while (_rowGroup * 2 <= Math.Min(RowGroupLimit, limit)) _rowGroup *= 2;
        // a norm's rows are few (one per token): a large group, few loads per thread
        _normGroup = _warp;
        while (_normGroup * 2 <= Math.Min(NormGroupLimit, limit)) _normGroup *= 2;
        // attention has few groups (heads × tokens: 32 for one token of a 1B model): larger ones
        _attentionGroup = _warp;
        while (_attentionGroup * 2 <= Math.Min(AttentionGroupLimit, limit)) _attentionGroup *= 2;
        // Groups of one thread (CPU stand-ins told so): the serial twins, one thread per row, which ILGPU's
        // CPU accelerator runs without a barrier per group.
        Serial = _rowGroup == 1;
        if (Serial)
        {
            _matMulSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>(GpuKernels.MatMulSerial);
            _roundActivationsSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.RoundActivationsSerial);
            _swiGluRoundSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.SwiGluRoundSerial);
            _addRmsNormSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(GpuKernels.AddRmsNormSerial);
            _rmsNormSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(GpuKernels.RmsNormSerial);
            _attentionSerial = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<ushort>,
                ArrayView<float>, ArrayView<float>, AttentionArgs>(GpuKernels.AttentionSerial);
        }
        else
        {
            _matMul = accelerator.LoadStreamKernel<ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>(GpuKernels.MatMul);
            _matMulTiled = accelerator.LoadStreamKernel<ArrayView<byte>, ArrayView<float>, ArrayView<float>, MatMulArgs>(GpuKernels.MatMulTiled);
            _matMulShared = accelerator.LoadStreamKernel<ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, SharedInputArgs>(GpuKernels.MatMulShared);
            _roundActivations = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.RoundActivations);
            _swiGluRound = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.SwiGluRound);
            _addRmsNorm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(GpuKernels.AddRmsNorm);
            _rmsNorm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(GpuKernels.RmsNorm);
            _attention = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<ushort>,
                ArrayView<float>, ArrayView<float>, AttentionArgs>(GpuKernels.Attention);
        }
        _addBias = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(GpuKernels.AddBias);
        _add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(GpuKernels.Add);
        _rope = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, RopeArgs>(GpuKernels.Rope);
        _ropeBoth = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, RopeArgs>(GpuKernels.RopeBoth);
        _storeKeyValues = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<ushort>,
            ArrayView<float>, ArrayView<ushort>, StoreArgs>(GpuKernels.StoreKeyValues);
        _swiGlu = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(GpuKernels.SwiGlu);
        _softmax = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, float>(GpuKernels.Softmax);
        _storeKeys = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, long, int>(GpuKernels.StoreKeys);
        _storeValues = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, int, int, int, int>(GpuKernels.StoreValues);
    }

    public Accelerator Accelerator { get; }

    /// <summary>Whether the reductions run one thread per row (the serial twins) rather than one group per row.</summary>
    public bool Serial { get; }

    /// <summary>Threads per group of a row reduction when rows are few (a single token): 4 warps on CUDA.</summary>
    private const int RowGroupLimit = 128;

    /// <summary>Threads per group of a norm (rows of n_embd: 4 elements per thread for 2048).</summary>
    private const int NormGroupLimit = 512;

    /// <summary>Threads per group of attention: 8 warps on CUDA (see GpuKernels.MaxAttentionGroup).</summary>
    private const int AttentionGroupLimit = 256;

    /// <summary>Launches of this set's kernels so far (a diagnostic: launches per token).</summary>
    public long Launches;

    /// <summary>y (n × m) = x (n × k) · Wᵀ for a weight of m rows in <paramref name="type"/>'s format.</summary>
    public void MatMul(ArrayView<byte> w, int type, int k, int m, long rowBytes, ArrayView<float> x, ArrayView<float> y, int n)
    {
        Launches++;
        var args = new MatMulArgs { Type = type, K = k, M = m, RowBytes = rowBytes, N = n, Slots = WeightDot.SlotsPerRow(type, k) };
        if (Serial)
            _matMulSerial!(checked(n * m), w, x, y, args);
        else if (n == 1)
            _matMul!(new KernelConfig(m, _rowGroup), w, x, y, args); // rows are few: several warps share each row
        else
            // groups are plenty: one warp per (row, token tile) needs no barrier
            _matMulTiled!(new KernelConfig(checked((n + GpuKernels.TokenTile - 1) / GpuKernels.TokenTile * m), _warp), w, x, y, args);
    }

    /// <summary>gate = silu(gate) · up, then y = gate rounded as <see cref="RoundActivations"/>: one launch (mode not None).</summary>
    public void SwiGluRound(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, int mode, int k, int n)
    {
        int block = mode == ActivationRounding.Q8_K ? 256 : 32;
        Launches++;
        int blocks = n * ((k + block - 1) / block);
        if (Serial) _swiGluRoundSerial!(blocks, gate, up, y, mode, k);
        else _swiGluRound!(new KernelConfig(blocks, Math.Min(block, _rowGroup)), gate, up, y, mode, k);
    }

    /// <summary>A weight for <see cref="MatMulShared"/>: its bytes, type, rows and bytes per row.</summary>
    public readonly record struct Weight(ArrayView<byte> Data, int Type, int M, long RowBytes);

    /// <summary>
    /// One token (<paramref name="x"/>, k long) times two or three weights into y0, y1, y2: one launch
    /// (<see cref="GpuKernels.MatMulShared"/>) on a GPU, one product each on the serial stand-ins.
    /// Pass <c>default</c> for an absent third weight.
    /// </summary>
    public void MatMulShared(int k, ArrayView<float> x, Weight w0, ArrayView<float> y0, Weight w1, ArrayView<float> y1, Weight w2, ArrayView<float> y2)
    {
        if (Serial)
        {
            MatMul(w0.Data, w0.Type, k, w0.M, w0.RowBytes, x, y0, 1);
            MatMul(w1.Data, w1.Type, k, w1.M, w1.RowBytes, x, y1, 1);
            if (w2.M > 0) MatMul(w2.Data, w2.Type, k, w2.M, w2.RowBytes, x, y2, 1);
            return;
        }
        Launches++;
        var third = w2.M > 0 ? w2.Data : w0.Data;
        var thirdOut = w2.M > 0 ? y2 : y0;
        _matMulShared!(new KernelConfig(w0.M + w1.M + w2.M, _rowGroup), w0.Data, w1.Data, third, x, y0, y1, thirdOut, new SharedInputArgs
        {
            K = k,
            Type0 = w0.Type, Type1 = w1.Type, Type2 = w2.Type,
            M0 = w0.M, M1 = w1.M, M2 = w2.M,
            Slots0 = WeightDot.SlotsPerRow(w0.Type, k), Slots1 = WeightDot.SlotsPerRow(w1.Type, k), Slots2 = w2.M > 0 ? WeightDot.SlotsPerRow(w2.Type, k) : 0,
            RowBytes0 = w0.RowBytes, RowBytes1 = w1.RowBytes, RowBytes2 = w2.RowBytes,
        });
    }

    /// <summary>y = x (n rows of k) rounded as ggml's CPU rounds activations for a weight (<see cref="ActivationRounding"/>).</summary>
    public void RoundActivations(ArrayView<float> x, ArrayView<float> y, int mode, int k, int n)
    {
        int block = mode == ActivationRounding.Q8_K ? 256 : 32;
        Launches++;
        int blocks = n * ((k + block - 1) / block);
        if (Serial) _roundActivationsSerial!(blocks, x, y, mode, k);
        else _roundActivations!(new KernelConfig(blocks, Math.Min(block, _rowGroup)), x, y, mode, k);
    }

    public void AddBias(ArrayView<float> y, ArrayView<float> b, int m, int n) { Launches++; _addBias(n * m, y, b, m); }
    public void Add(ArrayView<float> a, ArrayView<float> b, int length) { Launches++; _add(length, a, b); }

    public void RmsNorm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int n, int rows, float eps)
    {
        Launches++;
        if (Serial) _rmsNormSerial!(rows, x, w, y, n, eps);
        else _rmsNorm!(new KernelConfig(rows, NormGroup(n)), x, w, y, n, eps);
    }

    public void Rope(ArrayView<float> v, ArrayView<float> table, int tokens, int heads, int headDim, int nRot, bool neox)
    {
        Launches++;
        _rope(tokens * heads * (nRot / 2), v, table, new RopeArgs { Heads = heads, HeadDim = headDim, NRot = nRot, Neox = neox ? 1 : 0 });
    }

    /// <summary>The norm group for rows of n: no wider than the row (q/k norms have rows of head length).</summary>
    private int NormGroup(int n)
    {
        int g = _normGroup;
        while (g > _warp && g / 2 >= n) g /= 2;
        return g;
    }

    /// <summary>x += p, then y = rms_norm(x) · w, rows of n: the residual add and the next norm in one launch.</summary>
    public void AddRmsNorm(ArrayView<float> x, ArrayView<float> p, ArrayView<float> w, ArrayView<float> y, int n, int rows, float eps)
    {
        Launches++;
        if (Serial) _addRmsNormSerial!(rows, x, p, w, y, n, eps);
        else _addRmsNorm!(new KernelConfig(rows, NormGroup(n)), x, p, w, y, n, eps);
    }

    /// <summary>RoPE of queries (<paramref name="heads"/>) and keys (<paramref name="headsK"/>) in one launch.</summary>
    public void RopeBoth(ArrayView<float> q, ArrayView<float> k, ArrayView<float> table, int tokens, int heads, int headsK, int headDim, int nRot, bool neox)
    {
        Launches++;
        _ropeBoth(tokens * (heads + headsK) * (nRot / 2), q, k, table,
            new RopeArgs { Heads = heads, HeadsK = headsK, Tokens = tokens, HeadDim = headDim, NRot = nRot, Neox = neox ? 1 : 0 });
    }

    /// <summary>StoreKeys and StoreValues of <paramref name="tokens"/> tokens at p0 in one launch.</summary>
    public void StoreKeyValues(ArrayView<float> k, ArrayView<float> v, ArrayView<float> kF32, ArrayView<ushort> kF16, ArrayView<float> vF32, ArrayView<ushort> vF16,
        int keyWidth, int valueWidth, int size, int p0, int tokens, bool kF16Cache, bool vF16Cache)
    {
        Launches++;
        _storeKeyValues(tokens * (keyWidth + valueWidth), k, v, kF32, kF16, vF32, vF16, new StoreArgs
        {
            Keys = tokens * keyWidth, KeyOffset = (long)p0 * keyWidth, ValueWidth = valueWidth, Size = size, P0 = p0,
            KF16 = kF16Cache ? 1 : 0, VF16 = vF16Cache ? 1 : 0,
        });
    }

    public void SwiGlu(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, int length) { Launches++; _swiGlu(length, gate, up, y); }
    public void Softmax(ArrayView<float> x, int n, int rows, float scale) { Launches++; _softmax(rows, x, n, scale); }

    public void StoreKeys(ArrayView<float> k, ArrayView<float> kF32, ArrayView<ushort> kF16, long offset, int length, bool f16)
    {
        Launches++;
        _storeKeys(length, k, kF32, kF16, offset, f16 ? 1 : 0);
    }

    public void StoreValues(ArrayView<float> v, ArrayView<float> vF32, ArrayView<ushort> vF16, int valueWidth, int size, int p0, int tokens, bool f16)
    {
        Launches++;
        _storeValues(tokens * valueWidth, v, vF32, vF16, valueWidth, size, p0, f16 ? 1 : 0);
    }

    public void Attention(ArrayView<float> q, ArrayView<float> kF32, ArrayView<ushort> kF16, ArrayView<float> vF32, ArrayView<ushort> vF16,
        ArrayView<float> scores, ArrayView<float> output, int tokens, AttentionArgs args)
    {
        if (args.HeadK > GpuKernels.MaxHeadLength) throw new NotSupportedException($"attention heads longer than {GpuKernels.MaxHeadLength} on the GPU");
        Launches++;
        if (Serial) _attentionSerial!(tokens * args.Heads, q, kF32, kF16, vF32, vF16, scores, output, args);
        else _attention!(new KernelConfig(tokens * args.Heads, _attentionGroup), q, kF32, kF16, vF32, vF16, scores, output, args);
    }
}
