using SharpInfer.Numerics.Threading;
using ILGPU;
using ILGPU.Runtime;
using SharpInfer.Backends.Gpu.Kernels;
using SharpInfer.Format.Gguf;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Backends.Gpu;

/// <summary>
/// Each GPU kernel against the CPU implementation it mirrors (Models/Compute, Numerics/Kernels),
/// on ILGPU's CPU accelerator (or CUDA under SHARPINFER_GPU_TESTS=cuda). Tolerances are derived per
/// case in the comments; they are bounds on rounding, not fudge factors.
/// </summary>
public sealed unsafe class GpuKernelTests
{
    // groups of several threads and warps: the reductions as a GPU runs them
    private static KernelSet K => GpuTestDevices.Grouped.Kernels;
    private static Accelerator Acc => GpuTestDevices.Grouped.Accelerator;

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] data) where T : unmanaged
    {
        var b = Acc.Allocate1D<T>(Math.Max(data.Length, 1));
        if (data.Length > 0) b.View.SubView(0, data.Length).CopyFromCPU(data);
        return b;
    }

    private static T[] Download<T>(MemoryBuffer1D<T, Stride1D.Dense> b, int n) where T : unmanaged
    {
        Acc.Synchronize();
        var a = new T[n];
        b.View.SubView(0, n).CopyToCPU(a);
        return a;
    }

    [Theory]
    [InlineData("micro-llama-F32.gguf")]
    [InlineData("micro-llama-F16.gguf")]
    [InlineData("micro-llama-BF16.gguf")]
    [InlineData("micro-llama-Q4_0.gguf")]
    [InlineData("micro-llama-Q8_0.gguf")]
    [InlineData("micro-llama-Q4_K.gguf")]
    [InlineData("micro-llama-Q5_K.gguf")]
    [InlineData("micro-llama-Q6_K.gguf")]
    public void MatMul_AgreesWithCpuWithinActivationRounding(string file)
    {
        using var model = Model.Load(TestPaths.Require(TestPaths.Micro(file)));
        // the first 2-D weight of the file's own type (Q4_K files keep some tensors in other types)
        WeightMatrix? w = null;
        foreach (var layer in model.Weights.Layers)
            foreach (var m in new[] { layer.FfnDown, layer.FfnGate, layer.Wq, layer.Wo })
                if (w is null && GgmlTypeInfo.Get(m.Type).Name == file.Split('-')[2].Replace(".gguf", "")) w = m;
        Assert.NotNull(w);
        // 11 tokens: a full tile of the batch kernel (8) and a partial one; token 0 alone again below
        int n = 11, k = w!.Columns, rows = w.Rows;
        var x = Random(n * k, 7);

        // CPU: activations converted to the vec_dot type, then ggml's dot products
        var act = new byte[n * MatMul.ActivationRowBytes(w.Type, k)];
        MatMul.ConvertActivations(w.Type, x, n, k, act);
        var cpu = new float[n * rows];
        MatMul.Multiply(w, act, n, cpu);

        var bytes = new byte[w.RowBytes * rows];
        new ReadOnlySpan<byte>(w.Data, bytes.Length).CopyTo(bytes);
        using var wb = Upload(bytes);
        using var xb = Upload(x);
        using var yb = Acc.Allocate1D<float>(n * rows);
        K.MatMul(wb.View, (int)w.Type, k, rows, w.RowBytes, xb.View, yb.View, n);
        var gpu = Download(yb, n * rows);
        using var y1 = Acc.Allocate1D<float>(rows);
        K.MatMul(wb.View, (int)w.Type, k, rows, w.RowBytes, xb.View, y1.View, 1); // the one-token kernel
        var gpuOne = Download(y1, rows);

        var (blockSize, relStep) = ActivationRounding(w.Type);
        var wr = new float[k];
        for (var t = 0; t < n; t++)
            for (var r = 0; r < rows; r++)
            {
                RowDecoder.Decode(w.Type, w.Row(r), wr);
                // The GPU multiplies by the float activations; the CPU by activations rounded to the
                // vec_dot type: each element moves by at most δ_i (half a quantization step of its block
                // for Q8_0/Q8_K, with the f16 scale's own rounding; half an ulp for F16/BF16), so the
                // results differ by at most Σ|w_i|·δ_i plus float accumulation error (2·k·2^-24·Σ|w_i·x_i|).
                double bound = 0, mag = 0;
                for (var b0 = 0; b0 < k; b0 += blockSize)
                {
                    float amax = 0;
                    for (var i = b0; i < b0 + blockSize; i++) amax = Math.Max(amax, Math.Abs(x[t * k + i]));
                    for (var i = b0; i < b0 + blockSize; i++)
                    {
                        var xi = Math.Abs(x[t * k + i]);
                        var delta = relStep < 0 ? amax / 127.0 * 0.6 : xi * relStep;
                        bound += Math.Abs(wr[i]) * delta;
                        mag += Math.Abs(wr[i] * x[t * k + i]);
                    }
                }
                bound += 2.0 * k * Math.Pow(2, -24) * mag + 1e-7;
                var diff = Math.Abs(gpu[t * rows + r] - cpu[t * rows + r]);
                Assert.True(diff <= bound, $"{w.Name} t={t} r={r}: gpu {gpu[t * rows + r]} cpu {cpu[t * rows + r]} diff {diff} > {bound}");
                if (t == 0)
                {
                    diff = Math.Abs(gpuOne[r] - cpu[r]);
                    Assert.True(diff <= bound, $"{w.Name} one token r={r}: gpu {gpuOne[r]} cpu {cpu[r]} diff {diff} > {bound}");
                }
            }
    }

    /// <summary>
    /// Q, K and V of one token in one launch (MatMulShared) equal the three products launched alone,
    /// bit for bit (same slots, same group sums), also when the three have different types (Q4_K_M).
    /// </summary>
    [Theory]
    [InlineData("micro-llama-Q4_K_M.gguf")]
    [InlineData("micro-llama-Q8_0.gguf")]
    public void MatMulShared_EqualsSeparateProducts(string file)
    {
        using var model = Model.Load(TestPaths.Require(TestPaths.Micro(file)));
        var layer = model.Weights.Layers[0];
        var ws = new[] { layer.Wq, layer.Wk, layer.Wv };
        int k = layer.Wq.Columns;
        var x = Random(k, 8);
        using var xb = Upload(x);
        var bufs = new List<MemoryBuffer1D<byte, Stride1D.Dense>>();
        var outs = new List<MemoryBuffer1D<float, Stride1D.Dense>>();
        var alone = new List<float[]>();
        try
        {
            foreach (var w in ws)
            {
                var bytes = new byte[w.RowBytes * w.Rows];
                new ReadOnlySpan<byte>(w.Data, bytes.Length).CopyTo(bytes);
                bufs.Add(Upload(bytes));
                outs.Add(Acc.Allocate1D<float>(w.Rows));
                using var y = Acc.Allocate1D<float>(w.Rows);
                K.MatMul(bufs[^1].View, (int)w.Type, k, w.Rows, w.RowBytes, xb.View, y.View, 1);
                alone.Add(Download(y, w.Rows));
            }
            KernelSet.Weight W(int i) => new(bufs[i].View, (int)ws[i].Type, ws[i].Rows, ws[i].RowBytes);
            K.MatMulShared(k, xb.View, W(0), outs[0].View, W(1), outs[1].View, W(2), outs[2].View);
            for (var i = 0; i < 3; i++) Assert.Equal(alone[i], Download(outs[i], ws[i].Rows));
        }
        finally
        {
            foreach (var b in bufs) b.Dispose();
            foreach (var o in outs) o.Dispose();
        }
    }

    /// <summary>Block size and relative rounding of the CPU's activation type; a negative step means "per block: amax/127".</summary>
    private static (int Block, double RelStep) ActivationRounding(GgmlType weightType) => MatMul.ActivationType(weightType) switch
    {
        GgmlType.F32 => (1, 0),
        GgmlType.F16 => (1, Math.Pow(2, -11)),
        GgmlType.BF16 => (1, Math.Pow(2, -8)),
        GgmlType.Q8_K => (256, -1),
        _ => (32, -1),
    };

    [Fact]
    public void RmsNorm_MatchesCpu()
    {
        int n = 64, rows = 5;
        var x = Random(n * rows, 1, 3f);
        var w = Random(n, 2);
        var cpu = new float[n * rows];
        RmsNorm.Rows(x, w, 1e-5f, cpu, rows);
        using var xb = Upload(x);
        using var wb = Upload(w);
        using var yb = Acc.Allocate1D<float>(n * rows);
        K.RmsNorm(xb.View, wb.View, yb.View, n, rows, 1e-5f);
        var gpu = Download(yb, n * rows);
        // Same operations in the same order (double sum, float scale): only sqrt/division rounding may differ by an ulp.
        for (var i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(gpu[i] - cpu[i]) <= 2e-7 * Math.Abs(cpu[i]) + 1e-30, $"{i}: {gpu[i]} vs {cpu[i]}");
    }

    [Fact]
    public void AddRmsNorm_MatchesAddThenCpuNorm()
    {
        int n = 64, rows = 3;
        var x = Random(n * rows, 12, 3f);
        var p = Random(n * rows, 13, 2f);
        var w = Random(n, 14);
        var sum = new float[n * rows];
        for (var i = 0; i < sum.Length; i++) sum[i] = x[i] + p[i];
        var cpu = new float[n * rows];
        RmsNorm.Rows(sum, w, 1e-5f, cpu, rows);
        using var xb = Upload(x);
        using var pb = Upload(p);
        using var wb = Upload(w);
        using var yb = Acc.Allocate1D<float>(n * rows);
        K.AddRmsNorm(xb.View, pb.View, wb.View, yb.View, n, rows, 1e-5f);
        Assert.Equal(sum, Download(xb, n * rows)); // the residual stream, exactly
        var gpu = Download(yb, n * rows);
        // as RmsNorm_MatchesCpu: the double sum in another order, sqrt/division rounding
        for (var i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(gpu[i] - cpu[i]) <= 2e-7 * Math.Abs(cpu[i]) + 1e-30, $"{i}: {gpu[i]} vs {cpu[i]}");
    }

    [Theory]
    [InlineData(RopeStyle.Normal, false)]
    [InlineData(RopeStyle.NeoX, false)]
    [InlineData(RopeStyle.Normal, true)]
    [InlineData(RopeStyle.NeoX, true)]
    public void Rope_MatchesCpu(RopeStyle style, bool freqFactors)
    {
        int headDim = 16, nRot = 12, heads = 3, tokens = 4, p0 = 5;
        var factors = freqFactors ? Random(nRot / 2, 9, 0.5f).Select(f => 1.5f + f).ToArray() : null;
        var rope = new Rope(nRot, style, 10000f, 0.5f, factors);
        var v = Random(tokens * heads * headDim, 3, 2f);
        var cpu = (float[])v.Clone();
        var table = new float[tokens * nRot];
        for (var t = 0; t < tokens; t++)
        {
            rope.SetPosition(p0 + t);
            rope.Table.CopyTo(table.AsSpan(t * nRot, nRot));
            for (var h = 0; h < heads; h++) rope.Apply(cpu.AsSpan((t * heads + h) * headDim, headDim));
        }
        using var vb = Upload(v);
        using var tb = Upload(table);
        K.Rope(vb.View, tb.View, tokens, heads, headDim, nRot, style == RopeStyle.NeoX);
        var gpu = Download(vb, v.Length);
        // Same angles (one host table) and the same two products per output: a fused multiply-add on
        // one side may change the last bit, so 2 ulp of the operands' scale.
        for (var i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(gpu[i] - cpu[i]) <= 5e-7f * 2f, $"{i}: {gpu[i]} vs {cpu[i]}");
    }

    [Fact]
    public void SwiGlu_MatchesCpu()
    {
        int n = 40, rows = 3;
        var g = Random(n * rows, 4, 8f);
        var u = Random(n * rows, 5, 2f);
        var cpu = new float[n * rows];
        SwiGlu.Rows(g, u, cpu, rows);
        using var gb = Upload(g);
        using var ub = Upload(u);
        using var yb = Acc.Allocate1D<float>(n * rows);
        K.SwiGlu(gb.View, ub.View, yb.View, n * rows);
        var gpu = Download(yb, n * rows);
        // ggml_v_expf without fused multiply-adds (and expf on the CPU's row tails): a few ulp of exp,
        // which silu's division and the product keep relative.
        for (var i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(gpu[i] - cpu[i]) <= 1e-6 * Math.Abs(cpu[i]) + 1e-12, $"{i}: {gpu[i]} vs {cpu[i]}");
    }

    /// <summary>The fused SwiGLU + activation rounding equals SwiGLU then rounding launched alone, bit for bit.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.F16)]
    public void SwiGluRound_EqualsSwiGluThenRounding(GgmlType weightType)
    {
        int k = 512, rows = 2;
        int mode = SharpInfer.Backends.Gpu.Kernels.ActivationRounding.For(weightType);
        var g = Random(k * rows, 15, 6f);
        var u = Random(k * rows, 16, 2f);
        using var gb = Upload(g);
        using var ub = Upload(u);
        using var sep = Acc.Allocate1D<float>(k * rows);
        K.SwiGlu(gb.View, ub.View, sep.View, k * rows);
        K.RoundActivations(sep.View, sep.View, mode, k, rows);
        var expected = Download(sep, k * rows);
        using var fused = Acc.Allocate1D<float>(k * rows);
        K.SwiGluRound(gb.View, ub.View, fused.View, mode, k, rows);
        Assert.Equal(expected, Download(fused, k * rows));
    }

    [Fact]
    public void Softmax_MatchesDoublePrecisionSoftmax()
    {
        int n = 37, rows = 2;
        var x = Random(n * rows, 6, 10f);
        using var xb = Upload(x);
        K.Softmax(xb.View, n, rows, 0.25f);
        var gpu = Download(xb, n * rows);
        for (var r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (var j = 0; j < n; j++) max = Math.Max(max, x[r * n + j] * 0.25);
            for (var j = 0; j < n; j++) sum += Math.Exp(x[r * n + j] * 0.25 - max);
            // exp within ~2 ulp, then one rounding of the product: 1e-6 relative
            for (var j = 0; j < n; j++)
            {
                var expect = Math.Exp(x[r * n + j] * 0.25 - max) / sum;
                Assert.True(Math.Abs(gpu[r * n + j] - expect) <= 1e-6 * expect + 1e-12, $"{r},{j}: {gpu[r * n + j]} vs {expect}");
            }
        }
    }

    [Fact]
    public void Add_IsExact()
    {
        var a = Random(100, 10);
        var b = Random(100, 11);
        using var ab = Upload(a);
        using var bb = Upload(b);
        K.Add(ab.View, bb.View, 100);
        var gpu = Download(ab, 100);
        for (var i = 0; i < 100; i++) Assert.Equal(a[i] + b[i], gpu[i]);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    public void Attention_OverDeviceCache_MatchesCpu(GgmlType cacheType)
    {
        // value heads shorter than the group (8 threads on the stand-ins): threads share channels
        int nHead = 4, nHeadKv = 2, headK = 8, headV = 4, size = 16;
        int kW = nHeadKv * headK, vW = nHeadKv * headV;
        var cache = new KvCache(1, size, kW, vW, cacheType, cacheType);
        using var pool = new WorkerPool(1);
        var cpuAttention = new Attention(nHead, nHeadKv, headK, headV, size, pool);
        bool f16 = cacheType == GgmlType.F16;
        using var kf = Acc.Allocate1D<float>(f16 ? 1 : size * kW);
        using var kh = Acc.Allocate1D<ushort>(f16 ? size * kW : 1);
        using var vf = Acc.Allocate1D<float>(f16 ? 1 : size * vW);
        using var vh = Acc.Allocate1D<ushort>(f16 ? size * vW : 1);
        using var scores = Acc.Allocate1D<float>(3 * nHead * size);
        int p0 = 0;
        foreach (var n in new[] { 3, 2 }) // a prompt then a continuation, so the second batch reads the first's cache
        {
            var q = Random(n * nHead * headK, 20 + n);
            var k = Random(n * kW, 30 + n);
            var v = Random(n * vW, 40 + n, 3f);
            var cpu = new float[n * nHead * headV];
            cpuAttention.Run(cache, 0, p0, n, q, k, v, cpu);

            using var qb = Upload(q);
            using var kb = Upload(k);
            using var vb = Upload(v);
            using var ob = Acc.Allocate1D<float>(cpu.Length);
            K.StoreKeys(kb.View, kf.View, kh.View, (long)p0 * kW, n * kW, f16);
            K.StoreValues(vb.View, vf.View, vh.View, vW, size, p0, n, f16);
            K.Attention(qb.View, kf.View, kh.View, vf.View, vh.View, scores.View, ob.View, n, new AttentionArgs
            {
                Heads = nHead, GroupSize = nHead / nHeadKv, HeadK = headK, HeadV = headV, KeyWidth = kW,
                CacheSize = size, P0 = p0, Scale = 1f / MathF.Sqrt(headK), KF16 = f16 ? 1 : 0, VF16 = f16 ? 1 : 0,
            });
            var gpu = Download(ob, cpu.Length);
            // F32: summation order only (1e-5 of max|v|). F16: a probability whose last float bit differs
            // may round to a neighbouring half, moving the output by 2^-11 of max|v| at most.
            var tol = (f16 ? Math.Pow(2, -11) * 2 : 1e-5) * 3f;
            for (var i = 0; i < cpu.Length; i++) Assert.True(Math.Abs(gpu[i] - cpu[i]) <= tol, $"p0={p0} {i}: {gpu[i]} vs {cpu[i]}");
            p0 += n;
        }
    }
}
