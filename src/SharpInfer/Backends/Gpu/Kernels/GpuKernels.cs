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

/// <summary>
/// Scalars of <see cref="GpuKernels.MatMulShared"/>: up to three matrices (types, row counts, bytes
/// per row) multiplying one token's activations; a matrix of 0 rows is absent.
/// </summary>
internal struct SharedInputArgs
{
    public int K;
    public int Type0, Type1, Type2;
    public int M0, M1, M2;
    public int Slots0, Slots1, Slots2;
    public long RowBytes0, RowBytes1, RowBytes2;
}

/// <summary>Scalars of <see cref="GpuKernels.StoreKeyValues"/>.</summary>
internal struct StoreArgs
{
    public int Keys;
    public long KeyOffset;
    public int ValueWidth, Size, P0, KF16, VF16;
}

/// <summary>Scalars of a RoPE launch.</summary>
internal struct RopeArgs
{
    public int Heads;
    /// <summary>Key heads and tokens (<see cref="GpuKernels.RopeBoth"/> only).</summary>
    public int HeadsK, Tokens;
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
        float s = GroupReduce.Sum(MatMulPart(w, x, a, g, Group.IdxX, Group.DimX));
        if (Group.IdxX == 0) y[g % a.N * (long)a.M + g / a.N] = s;
    }

    /// <summary>
    /// One token's activations times up to three matrices at once (Q, K and V; gate and up): one group
    /// per row of M0 + M1 + M2, as <see cref="MatMul"/>. One launch instead of three when launches,
    /// not bandwidth, bound a token's time.
    /// </summary>
    public static void MatMulShared(ArrayView<byte> w0, ArrayView<byte> w1, ArrayView<byte> w2, ArrayView<float> x,
        ArrayView<float> y0, ArrayView<float> y1, ArrayView<float> y2, SharedInputArgs a)
    {
        int r = Grid.IdxX;
        int which = r < a.M0 ? 0 : r < a.M0 + a.M1 ? 1 : 2;
        if (which == 1) r -= a.M0;
        else if (which == 2) r -= a.M0 + a.M1;
        // the same branch for the whole group (one row): no view is selected at run time
        float s;
        if (which == 0) s = RowPart(w0, a.Type0, r * a.RowBytes0, a.Slots0, x);
        else if (which == 1) s = RowPart(w1, a.Type1, r * a.RowBytes1, a.Slots1, x);
        else s = RowPart(w2, a.Type2, r * a.RowBytes2, a.Slots2, x);
        s = GroupReduce.Sum(s);
        if (Group.IdxX == 0)
        {
            if (which == 0) y0[r] = s;
            else if (which == 1) y1[r] = s;
            else y2[r] = s;
        }
    }

    private static float RowPart(ArrayView<byte> w, int type, long row, int slots, ArrayView<float> x)
    {
        return WeightDot.Row(type, w, row, Group.IdxX, Group.DimX, slots, x, 0);
    }

    /// <summary>Tokens one group of <see cref="MatMulTiled"/> multiplies each decoded weight by.</summary>
    public const int TokenTile = TileSums.Tokens;

    /// <summary>
    /// <see cref="MatMul"/> for batches: one group per (row, tile of <see cref="TokenTile"/> tokens),
    /// group index r·tiles + tile. Each thread decodes a slot once and multiplies it by the tile's
    /// tokens, so decoding (most of a quantized product's instructions) is shared by the tile.
    /// </summary>
    public static void MatMulTiled(ArrayView<byte> w, ArrayView<float> x, ArrayView<float> y, MatMulArgs a)
    {
        int tiles = (a.N + TokenTile - 1) / TokenTile;
        int g = Grid.IdxX;
        long r = g / tiles;
        int t0 = g % tiles * TokenTile;
        int nt = Math.Min(TokenTile, a.N - t0);
        var part = WeightDot.RowTile(a.Type, w, r * a.RowBytes, Group.IdxX, Group.DimX, a.Slots, x, (long)t0 * a.K, a.K, nt);
        float s0 = GroupReduce.Sum(part.S0), s1 = GroupReduce.Sum(part.S1), s2 = GroupReduce.Sum(part.S2), s3 = GroupReduce.Sum(part.S3);
        float s4 = GroupReduce.Sum(part.S4), s5 = GroupReduce.Sum(part.S5), s6 = GroupReduce.Sum(part.S6), s7 = GroupReduce.Sum(part.S7);
        if (Group.IdxX == 0)
        {
            long yo = (long)t0 * a.M + r;
            y[yo] = s0;
            if (nt > 1) y[yo + a.M] = s1;
            if (nt > 2) y[yo + 2L * a.M] = s2;
            if (nt > 3) y[yo + 3L * a.M] = s3;
            if (nt > 4) y[yo + 4L * a.M] = s4;
            if (nt > 5) y[yo + 5L * a.M] = s5;
            if (nt > 6) y[yo + 6L * a.M] = s6;
            if (nt > 7) y[yo + 7L * a.M] = s7;
        }
    }

    /// <summary><see cref="MatMul"/> with one thread per output (the CPU stand-ins' serial groups).</summary>
    public static void MatMulSerial(Index1D g, ArrayView<byte> w, ArrayView<float> x, ArrayView<float> y, MatMulArgs a) =>
        y[g % a.N * (long)a.M + g / a.N] = MatMulPart(w, x, a, g, 0, 1);

    /// <summary>Slots first, first + step, … of output g's row dotted with its token.</summary>
    private static float MatMulPart(ArrayView<byte> w, ArrayView<float> x, MatMulArgs a, int g, int first, int step)
    {
        long row = (long)(g / a.N) * a.RowBytes, xo = (long)(g % a.N) * a.K;
        return WeightDot.Row(a.Type, w, row, first, step, a.Slots, x, xo);
    }

    /// <summary>
    /// Rounds activations (rows of k) to what ggml's CPU backend multiplies a weight by — its
    /// vec_dot type — and writes them back as floats: one group per block of 32 (256 for Q8_K), its
    /// threads striding through the block. Then the float product equals ggml's to float rounding.
    /// See <see cref="ActivationRounding"/>.
    /// </summary>
    public static void RoundActivations(ArrayView<float> x, ArrayView<float> y, int mode, int k) =>
        RoundBlock(x, y, mode, k, Grid.IdxX, Group.IdxX, Group.DimX);

    /// <summary>
    /// ggml_swiglu then <see cref="RoundActivations"/> in one launch: each thread first replaces its
    /// elements of <paramref name="gate"/> by silu(gate) · up (what the product after it reads rounded).
    /// </summary>
    public static void SwiGluRound(ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, int mode, int k)
    {
        SwiGluBlock(gate, up, mode, k, Grid.IdxX, Group.IdxX, Group.DimX);
        RoundBlock(gate, y, mode, k, Grid.IdxX, Group.IdxX, Group.DimX);
    }

    /// <summary><see cref="SwiGluRound"/> with one thread per block (the CPU stand-ins' serial groups).</summary>
    public static void SwiGluRoundSerial(Index1D g, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> y, int mode, int k)
    {
        SwiGluBlock(gate, up, mode, k, g, 0, 1);
        RoundBlock(gate, y, mode, k, g, 0, 1);
    }

    private static void SwiGluBlock(ArrayView<float> gate, ArrayView<float> up, int mode, int k, int g, int tid, int step)
    {
        int block = mode == ActivationRounding.Q8_K ? 256 : 32;
        int blocksPerRow = (k + block - 1) / block;
        int b0 = g % blocksPerRow * block;
        int end = Math.Min(b0 + block, k);
        long o = (long)(g / blocksPerRow) * k;
        for (int j = b0 + tid; j < end; j += step) gate[o + j] = DeviceMath.Silu(gate[o + j]) * up[o + j];
    }

    /// <summary><see cref="RoundActivations"/> with one thread per block (the CPU stand-ins' serial groups).</summary>
    public static void RoundActivationsSerial(Index1D g, ArrayView<float> x, ArrayView<float> y, int mode, int k) =>
        RoundBlock(x, y, mode, k, g, 0, 1);

    // With step 1 the group reductions see a single thread and return its value.
    private static void RoundBlock(ArrayView<float> x, ArrayView<float> y, int mode, int k, int g, int tid, int step)
    {
        int block = mode == ActivationRounding.Q8_K ? 256 : 32;
        int blocksPerRow = (k + block - 1) / block;
        long row = g / blocksPerRow;
        int b0 = g % blocksPerRow * block;
        int end = Math.Min(b0 + block, k);
        long o = row * k;
        int first = b0 + tid;
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
            if (step > 1) amax = GroupReduce.Max(amax);
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
            float groupMax = amax;
            int firstAt = at;
            if (step > 1)
            {
                groupMax = GroupReduce.Max(amax);
                // the first index holding the maximum: indices (< 2^24) are exact in float
                firstAt = (int)(0f - GroupReduce.Max(amax == groupMax ? 0f - at : 0f - end));
            }
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
        float scale = RmsScale(GroupReduce.Sum(SumOfSquares(x, o, n, Group.IdxX, Group.DimX)), n, eps);
        for (int j = Group.IdxX; j < n; j += Group.DimX) y[o + j] = x[o + j] * scale * w[j];
    }

    /// <summary>
    /// The residual add then the next norm in one launch: x += p, then y = <see cref="RmsNorm"/>(x) · w,
    /// one group per row (each thread adds, then squares and scales, its own elements).
    /// </summary>
    public static void AddRmsNorm(ArrayView<float> x, ArrayView<float> p, ArrayView<float> w, ArrayView<float> y, int n, float eps)
    {
        long o = (long)Grid.IdxX * n;
        for (int j = Group.IdxX; j < n; j += Group.DimX) x[o + j] += p[o + j];
        float scale = RmsScale(GroupReduce.Sum(SumOfSquares(x, o, n, Group.IdxX, Group.DimX)), n, eps);
        for (int j = Group.IdxX; j < n; j += Group.DimX) y[o + j] = x[o + j] * scale * w[j];
    }

    /// <summary><see cref="AddRmsNorm"/> with one thread per row (the CPU stand-ins' serial groups).</summary>
    public static void AddRmsNormSerial(Index1D row, ArrayView<float> x, ArrayView<float> p, ArrayView<float> w, ArrayView<float> y, int n, float eps)
    {
        long o = (long)(int)row * n;
        for (int j = 0; j < n; j++) x[o + j] += p[o + j];
        float scale = RmsScale(SumOfSquares(x, o, n, 0, 1), n, eps);
        for (int j = 0; j < n; j++) y[o + j] = x[o + j] * scale * w[j];
    }

    /// <summary><see cref="RmsNorm"/> with one thread per row (the CPU stand-ins' serial groups).</summary>
    public static void RmsNormSerial(Index1D row, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int n, float eps)
    {
        long o = (long)(int)row * n;
        float scale = RmsScale(SumOfSquares(x, o, n, 0, 1), n, eps);
        for (int j = 0; j < n; j++) y[o + j] = x[o + j] * scale * w[j];
    }

    private static double SumOfSquares(ArrayView<float> x, long o, int n, int first, int step)
    {
        double sum = 0;
        for (int j = first; j < n; j += step) { float v = x[o + j]; sum += v * v; }
        return sum;
    }

    private static float RmsScale(double sum, int n, float eps)
    {
        float mean = (float)(sum / n);
        return 1.0f / MathF.Sqrt(mean + eps);
    }

    /// <summary>
    /// Rotates one pair per thread (index over tokens × heads × n_rot/2) with the per-token cos/sin
    /// table (interleaved, n_rot floats per token) the host computed as ggml_rope_cache_init does.
    /// Normal style rotates (2i, 2i+1), NeoX (i, i + n_rot/2).
    /// </summary>
    public static void Rope(Index1D i, ArrayView<float> v, ArrayView<float> table, RopeArgs a) =>
        RotatePair(v, table, a.Heads, i, a);

    /// <summary>
    /// <see cref="Rope"/> of queries and keys in one launch: indices below tokens × Heads × n_rot/2
    /// rotate q, the next tokens × HeadsK × n_rot/2 rotate k.
    /// </summary>
    public static void RopeBoth(Index1D i, ArrayView<float> q, ArrayView<float> k, ArrayView<float> table, RopeArgs a)
    {
        long pairsQ = (long)a.Tokens * a.Heads * (a.NRot / 2);
        if (i < pairsQ) RotatePair(q, table, a.Heads, i, a);
        else RotatePair(k, table, a.HeadsK, i - pairsQ, a);
    }

    private static void RotatePair(ArrayView<float> v, ArrayView<float> table, int heads, long i, RopeArgs a)
    {
        int half = a.NRot / 2;
        long pairsPerToken = (long)heads * half;
        long t = i / pairsPerToken;
        long rest = i % pairsPerToken;
        long h = rest / half;
        int p = (int)(rest % half);
        float cos = table[t * a.NRot + 2 * p];
        float sin = table[t * a.NRot + 2 * p + 1];
        long baseIndex = (t * heads + h) * a.HeadDim;
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

    /// <summary>
    /// <see cref="StoreKeys"/> and <see cref="StoreValues"/> in one launch: indices below
    /// n × keyWidth store keys, the next n × valueWidth values.
    /// </summary>
    public static void StoreKeyValues(Index1D i, ArrayView<float> k, ArrayView<float> v, ArrayView<float> kF32, ArrayView<ushort> kF16,
        ArrayView<float> vF32, ArrayView<ushort> vF16, StoreArgs a)
    {
        if (i < a.Keys) StoreKeys(i, k, kF32, kF16, a.KeyOffset, a.KF16);
        else StoreValues(i - a.Keys, v, vF32, vF16, a.ValueWidth, a.Size, a.P0, a.VF16);
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
        var partial = SharedMemory.Allocate<float>(MaxAttentionGroup);
        int i = Grid.IdxX, tid = Group.IdxX, step = Group.DimX;
        long qo = ((long)(i / a.Heads) * a.Heads + i % a.Heads) * a.HeadK;
        for (int d = tid; d < a.HeadK; d += step) qs[d] = a.KF16 != 0 ? DeviceMath.RoundToHalf(q[qo + d]) : q[qo + d];
        Group.Barrier();
        float max = GroupReduce.Max(AttentionScores(qs, 0, kF32, kF16, scores, a, i, tid, step));
        float inv = (float)(1.0 / GroupReduce.Sum(AttentionExp(scores, a, i, max, tid, step)));
        AttentionNormalize(scores, a, i, inv, tid, step);
        Group.Barrier(); // every probability written before any thread reads them all
        int parts = step / a.HeadV;
        if (parts <= 1)
        {
            AttentionOutput(vF32, vF16, scores, output, a, i, tid, step);
            return;
        }
        // more threads than channels: `parts` threads share each channel, taking every parts-th key
        int c = tid % a.HeadV, part = tid / a.HeadV;
        partial[tid] = part < parts ? AttentionChannel(vF32, vF16, scores, a, i, c, part, parts) : 0f;
        Group.Barrier();
        if (part == 0)
        {
            float sum = 0;
            for (int p = 0; p < parts; p++) sum += partial[p * a.HeadV + c];
            output[(long)i * a.HeadV + c] = sum;
        }
    }

    /// <summary>Most threads per group of <see cref="Attention"/> (its partial sums live in shared memory).</summary>
    public const int MaxAttentionGroup = 1024;

    /// <summary><see cref="Attention"/> with one thread per (token, head) (the CPU stand-ins' serial groups).</summary>
    public static void AttentionSerial(Index1D i, ArrayView<float> q, ArrayView<float> kF32, ArrayView<ushort> kF16,
        ArrayView<float> vF32, ArrayView<ushort> vF16, ArrayView<float> scores, ArrayView<float> output, AttentionArgs a)
    {
        // the query rounded in place (each thread owns its head's query; RoundToHalf is idempotent)
        long qo = ((long)(i.X / a.Heads) * a.Heads + i.X % a.Heads) * a.HeadK;
        if (a.KF16 != 0)
            for (int d = 0; d < a.HeadK; d++) q[qo + d] = DeviceMath.RoundToHalf(q[qo + d]);
        float max = AttentionScores(q, qo, kF32, kF16, scores, a, i, 0, 1);
        float inv = (float)(1.0 / AttentionExp(scores, a, i, max, 0, 1));
        AttentionNormalize(scores, a, i, inv, 0, 1);
        AttentionOutput(vF32, vF16, scores, output, a, i, 0, 1);
    }

    /// <summary>KQ·scale of keys first, first + step, … into scores; returns their maximum.</summary>
    private static float AttentionScores(ArrayView<float> qv, long qo, ArrayView<float> kF32, ArrayView<ushort> kF16,
        ArrayView<float> scores, AttentionArgs a, int i, int first, int step)
    {
        int nKv = a.P0 + i / a.Heads + 1;
        int g = i % a.Heads / a.GroupSize;
        long so = (long)i * a.CacheSize;
        float max = float.NegativeInfinity;
        for (int j = first; j < nKv; j += step)
        {
            long ko = (long)j * a.KeyWidth + (long)g * a.HeadK;
            float v = KeyDot(kF32, kF16, a.KF16, ko, qv, qo, a.HeadK) * a.Scale;
            scores[so + j] = v;
            if (v > max) max = v;
        }
        return max;
    }

    /// <summary>Softmax as the CPU's: exp(score − max) in place; returns the sum (double) of these.</summary>
    private static double AttentionExp(ArrayView<float> scores, AttentionArgs a, int i, float max, int first, int step)
    {
        int nKv = a.P0 + i / a.Heads + 1;
        long so = (long)i * a.CacheSize;
        double sum = 0;
        for (int j = first; j < nKv; j += step)
        {
            float e = DeviceMath.Exp(scores[so + j] - max);
            sum += e;
            scores[so + j] = e;
        }
        return sum;
    }

    /// <summary>Multiplies by 1/sum; rounds the probabilities to F16 when V is F16 (as the CPU's KQV does).</summary>
    private static void AttentionNormalize(ArrayView<float> scores, AttentionArgs a, int i, float inv, int first, int step)
    {
        int nKv = a.P0 + i / a.Heads + 1;
        long so = (long)i * a.CacheSize;
        for (int j = first; j < nKv; j += step)
        {
            float p = scores[so + j] * inv;
            scores[so + j] = a.VF16 != 0 ? DeviceMath.RoundToHalf(p) : p;
        }
    }

    /// <summary>KQV for output channels first, first + step, …</summary>
    private static void AttentionOutput(ArrayView<float> vF32, ArrayView<ushort> vF16, ArrayView<float> scores, ArrayView<float> output,
        AttentionArgs a, int i, int first, int step)
    {
        long oo = (long)i * a.HeadV; // (token · heads + head) · headV
        for (int d = first; d < a.HeadV; d += step) output[oo + d] = AttentionChannel(vF32, vF16, scores, a, i, d, 0, 1);
    }

    /// <summary>Channel d of KQV over keys first, first + step, …</summary>
    private static float AttentionChannel(ArrayView<float> vF32, ArrayView<ushort> vF16, ArrayView<float> scores, AttentionArgs a, int i, int d, int first, int step)
    {
        int nKv = a.P0 + i / a.Heads + 1;
        int g = i % a.Heads / a.GroupSize;
        long so = (long)i * a.CacheSize;
        long vo = ((long)g * a.HeadV + d) * a.CacheSize;
        // four partial sums: four independent loads in flight per step (latency, not bandwidth, bounds this)
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = first;
        for (; j + 3 * step < nKv; j += 4 * step)
        {
            s0 += CacheValue(vF32, vF16, a.VF16, vo + j) * scores[so + j];
            s1 += CacheValue(vF32, vF16, a.VF16, vo + j + step) * scores[so + j + step];
            s2 += CacheValue(vF32, vF16, a.VF16, vo + j + 2 * step) * scores[so + j + 2 * step];
            s3 += CacheValue(vF32, vF16, a.VF16, vo + j + 3 * step) * scores[so + j + 3 * step];
        }
        for (; j < nKv; j += step) s0 += CacheValue(vF32, vF16, a.VF16, vo + j) * scores[so + j];
        return (s0 + s1) + (s2 + s3);
    }

    private static float CacheValue(ArrayView<float> f32, ArrayView<ushort> f16, int isF16, long at) =>
        isF16 != 0 ? DeviceMath.HalfToFloat(f16[at]) : f32[at];

    /// <summary>One cached key (F32 or F16 bits) dotted with the query, four partial sums.</summary>
    private static float KeyDot(ArrayView<float> kF32, ArrayView<ushort> kF16, int isF16, long ko, ArrayView<float> qv, long qo, int n)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int d = 0;
        for (; d + 3 < n; d += 4)
        {
            s0 += CacheValue(kF32, kF16, isF16, ko + d) * qv[qo + d];
            s1 += CacheValue(kF32, kF16, isF16, ko + d + 1) * qv[qo + d + 1];
            s2 += CacheValue(kF32, kF16, isF16, ko + d + 2) * qv[qo + d + 2];
            s3 += CacheValue(kF32, kF16, isF16, ko + d + 3) * qv[qo + d + 3];
        }
        for (; d < n; d++) s0 += CacheValue(kF32, kF16, isF16, ko + d) * qv[qo + d];
        return (s0 + s1) + (s2 + s3);
    }
}
