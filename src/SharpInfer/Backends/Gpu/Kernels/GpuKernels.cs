using ILGPU;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>How activations are rounded before a product (ggml's vec_dot type of the weight's type).</summary>
internal static class ActivationRounding
{
    public const int None = 0, F16 = 1, BF16 = 2, Q8_0 = 3, Q8_K = 4;

    /// <summary>The rounding ggml's CPU backend applies for <paramref name="weightType"/> (Q8_1 rounds as Q8_0).</summary>
    public static int For(SharpInfer.Numerics.GgmlType weightType) => SharpInfer.Numerics.Kernels.VecDot.ActivationType(weightType) switch
    {
        SharpInfer.Numerics.GgmlType.F32 => None,
        SharpInfer.Numerics.GgmlType.F16 => F16,
        SharpInfer.Numerics.GgmlType.BF16 => BF16,
        SharpInfer.Numerics.GgmlType.Q8_K => Q8_K,
        _ => Q8_0,
    };
}

/// <summary>Scalars of a matrix product: weight type, row length K, rows M of this weight (slice), bytes per row.</summary>
internal struct MatMulArgs
{
    public int Type;
    public int K;
    public int M;
    public long RowBytes;
    /// <summary>Tokens (activation rows) of this launch.</summary>
    public int N;
    /// <summary><see cref="WeightDot.SlotsPerRow"/> of the type and K.</summary>
    public int Slots;
}

/// <summary>Scalars of a RoPE launch.</summary>
internal struct RopeArgs
{
    public int Heads;
    public int HeadDim;
    public int NRot;
    public int Neox;
}

/// <summary>Scalars of an attention launch (see <see cref="GpuKernels.Attention"/>).</summary>
internal struct AttentionArgs
{
    public int Heads;
    public int GroupSize;
    public int HeadK;
    public int HeadV;
    public int KeyWidth;
    public int CacheSize;
    public int P0;
    public float Scale;
    public int KF16;
    public int VF16;
}

/// <summary>
/// The kernels of the GPU backend, written once in C# and compiled by ILGPU for CUDA (PTX) or run
/// by its CPU accelerator. Element-wise kernels take one thread per element; the reductions (matrix
/// rows, norms, activation blocks, attention) take one group of threads per row, the threads striding
/// along the row so that neighbours read neighbouring memory, and sum with <see cref="GroupReduce"/>.
/// They follow the CPU implementations in Models/Compute operation by operation so results agree to
/// rounding (sums in another order).
/// </summary>
internal static class GpuKernels
{
    /// <summary>
    /// y[t, r] = W[r] · x[t] for N tokens: one group per output, group index r·N + t (the groups of one
    /// weight row run together, so the row is read from DRAM once and from cache for the other tokens).
    /// The group's threads take the row's slots (<see cref="WeightDot"/>) in turn: coalesced reads.
    /// </summary>
    public static void MatMul(ArrayView<byte> w, ArrayView<float> x, ArrayView<float> y, MatMulArgs a)
    {
        int g = Grid.IdxX;
        long r = g / a.N;
        long t = g % a.N;
        long row = r * a.RowBytes, xo = t * a.K;
        float s = 0;
        for (int i = Group.IdxX; i < a.Slots; i += Group.DimX) s += WeightDot.Slot(a.Type, w, row, i, x, xo);
        s = GroupReduce.Sum(s);
        if (Group.IdxX == 0) y[t * a.M + r] = s;
    }

    /// <summary>
    /// Rounds activations (rows of k) to what ggml's CPU backend multiplies a weight by — its
    /// vec_dot type — and writes them back as floats: one group per block of 32 (256 for Q8_K), its
    /// threads striding through the block. Then the float product equals ggml's to float rounding.
    /// See <see cref="ActivationRounding"/>.
    /// </summary>
    public static void RoundActivations(ArrayView<float> x, ArrayView<float> y, int mode, int k)
    {
        int block = mode == ActivationRounding.Q8_K ? 256 : 32;
        int blocksPerRow = (k + block - 1) / block;
        long row = Grid.IdxX / blocksPerRow;
        int b0 = Grid.IdxX % blocksPerRow * block;
        int end = Math.Min(b0 + block, k);
        long o = row * k;
        int first = b0 + Group.IdxX, step = Group.DimX;
        if (mode == ActivationRounding.F16)
        {
            for (int j = first; j < end; j += step) y[o + j] = DeviceMath.RoundToHalf(x[o + j]);
        }
        else if (mode == ActivationRounding.BF16)
        {
            for (int j = first; j < end; j += step) y[o + j] = DeviceMath.RoundToBFloat16(x[o + j]);
        }
        else if (mode == ActivationRounding.Q8_0)
        {
            // quantize_row_q8_0: d = amax/127 stored as f16, q = round-to-even(x·127/amax)
            float amax = 0;
            for (int j = first; j < end; j += step) amax = Math.Max(amax, Math.Abs(x[o + j]));
            amax = GroupReduce.Max(amax);
            float d = DeviceMath.RoundToHalf(amax / 127f);
            float id = amax != 0f ? 127f / amax : 0f;
            for (int j = first; j < end; j += step)
            {
                int q = Math.Max(-128, Math.Min(127, DeviceMath.NearestInt(x[o + j] * id)));
                y[o + j] = d * q;
            }
        }
        else
        {
            // quantize_row_q8_K: the signed value of largest magnitude (the first of equals) sets
            // iscale = -127/max, d = 1/iscale (float)
            float amax = 0;
            int at = end;
            for (int j = first; j < end; j += step)
            {
                float ax = Math.Abs(x[o + j]);
                if (ax > amax) { amax = ax; at = j; }
            }
            float groupMax = GroupReduce.Max(amax);
            // the first index holding the maximum: indices (< 2^24) are exact in float
            int firstAt = (int)(0f - GroupReduce.Max(amax == groupMax ? 0f - at : 0f - end));
            if (groupMax == 0f)
            {
                for (int j = first; j < end; j += step) y[o + j] = 0f;
                return;
            }
            float max = x[o + firstAt];
            float iscale = -127f / max;
            float d = 1f / iscale;
            for (int j = first; j < end; j += step) y[o + j] = d * Math.Min(127, DeviceMath.NearestInt(iscale * x[o + j]));
        }
    }

    /// <summary>y[t, r] += b[r] for rows of length m.</summary>
    public static void AddBias(Index1D i, ArrayView<float> y, ArrayView<float> b, int m) => y[i] += b[i % m];

    /// <summary>Residual add: a += b.</summary>
    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b) => a[i] += b[i];

    /// <summary>
    /// ggml_rms_norm then ggml_mul, one group per row of n: squares summed in double as the CPU
    /// backend does, scale 1/sqrt(mean + eps) in float.
    /// </summary>
    public static void RmsNorm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int n, float eps)
    {
        long o = (long)Grid.IdxX * n;
        double sum = 0;
        for (int j = Group.IdxX; j < n; j += Group.DimX) { float v = x[o + j]; sum += v * v; }
        sum = GroupReduce.Sum(sum);
        float mean = (float)(sum / n);
        float scale = 1.0f / MathF.Sqrt(mean + eps);
        for (int j = Group.IdxX; j < n; j += Group.DimX) y[o + j] = x[o + j] * scale * w[j];
    }

    /// <summary>
    /// Rotates one pair per thread (index over tokens × heads × n_rot/2) with the per-token cos/sin
    /// table (interleaved, n_rot floats per token) the host computed as ggml_rope_cache_init does.
    /// Normal style rotates (2i, 2i+1), NeoX (i, i + n_rot/2).
    /// </summary>
    public static void Rope(Index1D i, ArrayView<float> v, ArrayView<float> table, RopeArgs a)
    {
        int half = a.NRot / 2;
        long pairsPerToken = (long)a.Heads * half;
        long t = i / pairsPerToken;
        long rest = i % pairsPerToken;
        long h = rest / half;
        int p = (int)(rest % half);
        float cos = table[t * a.NRot + 2 * p];
        float sin = table[t * a.NRot + 2 * p + 1];
        long baseIndex = (t * a.Heads + h) * a.HeadDim;
        long i0 = a.Neox != 0 ? baseIndex + p : baseIndex + 2 * p;
        long i1 = a.Neox != 0 ? baseIndex + p + half : baseIndex + 2 * p + 1;
        float x0 = v[i0], x1 = v[i1];
        v[i0] = x0 * cos - x1 * sin;
        v[i1] = x0 * sin + x1 * cos;
    }

    /// <summary>ggml_swiglu: y = silu(gate) · up.</summary>
    public static void SwiGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y) =>
        y[i] = DeviceMath.Silu(gate[i]) * up[i];

    /// <summary>ggml_soft_max_ext without mask over rows of n: one thread per row, in place.</summary>
    public static void Softmax(Index1D row, ArrayView<float> x, int n, float scale) =>
        SoftmaxRow(x, (long)(int)row * n, n, scale);

    /// <summary>Scale, subtract the max, exp, sum in double, multiply by 1/sum (the CPU's order).</summary>
    private static void SoftmaxRow(ArrayView<float> s, long o, int n, float scale)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < n; j++)
        {
            float v = s[o + j] * scale;
            s[o + j] = v;
            if (v > max) max = v;
        }
        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            float e = DeviceMath.Exp(s[o + j] - max);
            sum += e;
            s[o + j] = e;
        }
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < n; j++) s[o + j] *= inv;
    }

    /// <summary>Writes n tokens' keys (n × keyWidth) at position p0 of a layer's K cache (F32 or F16 bits).</summary>
    public static void StoreKeys(Index1D i, ArrayView<float> k, ArrayView<float> kF32, ArrayView<ushort> kF16, long offset, int f16)
    {
        if (f16 != 0) kF16[offset + i] = (ushort)DeviceMath.FloatToHalf(k[i]);
        else kF32[offset + i] = k[i];
    }

    /// <summary>Writes n tokens' values transposed: channel c of token t goes to [c · size + p0 + t].</summary>
    public static void StoreValues(Index1D i, ArrayView<float> v, ArrayView<float> vF32, ArrayView<ushort> vF16, int valueWidth, int size, int p0, int f16)
    {
        long t = i / valueWidth;
        long c = i % valueWidth;
        long dst = c * size + p0 + t;
        if (f16 != 0) vF16[dst] = (ushort)DeviceMath.FloatToHalf(v[i]);
        else vF32[dst] = v[i];
    }

    /// <summary>Longest head the attention kernel takes (its query lives in shared memory).</summary>
    public const int MaxHeadLength = 512;

    /// <summary>
    /// Causal GQA attention for one (token, head) per group over the device KV cache, as
    /// Models/Compute/Attention: KQ (q rounded to F16 when K is F16), softmax, KQV (probabilities
    /// rounded to F16 when V is F16). The group's threads take keys in turn for KQ and the softmax,
    /// then output channels for KQV. <paramref name="scores"/> holds cacheSize floats per group.
    /// </summary>
    public static void Attention(ArrayView<float> q, ArrayView<float> kF32, ArrayView<ushort> kF16,
        ArrayView<float> vF32, ArrayView<ushort> vF16, ArrayView<float> scores, ArrayView<float> output, AttentionArgs a)
    {
        var qs = SharedMemory.Allocate<float>(MaxHeadLength);
        int i = Grid.IdxX;
        long t = i / a.Heads;
        int h = i % a.Heads;
        int g = h / a.GroupSize;
        int nKv = a.P0 + (int)t + 1;
        int tid = Group.IdxX, step = Group.DimX;
        long qo = (t * a.Heads + h) * a.HeadK;
        long so = (long)i * a.CacheSize;
        for (int d = tid; d < a.HeadK; d += step) qs[d] = a.KF16 != 0 ? DeviceMath.RoundToHalf(q[qo + d]) : q[qo + d];
        Group.Barrier();

        float max = float.NegativeInfinity;
        for (int j = tid; j < nKv; j += step)
        {
            long ko = (long)j * a.KeyWidth + (long)g * a.HeadK;
            float s = 0;
            if (a.KF16 != 0)
                for (int d = 0; d < a.HeadK; d++) s += DeviceMath.HalfToFloat(kF16[ko + d]) * qs[d];
            else
                for (int d = 0; d < a.HeadK; d++) s += kF32[ko + d] * qs[d];
            float v = s * a.Scale;
            scores[so + j] = v;
            if (v > max) max = v;
        }
        // softmax as the CPU's: subtract the max, exp, sum in double, multiply by 1/sum
        max = GroupReduce.Max(max);
        double sum = 0;
        for (int j = tid; j < nKv; j += step)
        {
            float e = DeviceMath.Exp(scores[so + j] - max);
            sum += e;
            scores[so + j] = e;
        }
        float inv = (float)(1.0 / GroupReduce.Sum(sum));
        for (int j = tid; j < nKv; j += step)
        {
            float p = scores[so + j] * inv;
            scores[so + j] = a.VF16 != 0 ? DeviceMath.RoundToHalf(p) : p;
        }
        Group.Barrier(); // every probability written before any thread reads them all

        long oo = (t * a.Heads + h) * a.HeadV;
        for (int d = tid; d < a.HeadV; d += step)
        {
            long vo = ((long)g * a.HeadV + d) * a.CacheSize;
            float s = 0;
            if (a.VF16 != 0)
                for (int j = 0; j < nKv; j++) s += DeviceMath.HalfToFloat(vF16[vo + j]) * scores[so + j];
            else
                for (int j = 0; j < nKv; j++) s += vF32[vo + j] * scores[so + j];
            output[oo + d] = s;
        }
    }
}
