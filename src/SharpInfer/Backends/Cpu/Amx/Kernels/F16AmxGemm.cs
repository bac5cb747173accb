using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// F16 weights in the AMX buffer, as ggml keeps them there: the file's layout (no packing), multiplied on AVX-512
/// against the F32 activations (ggml's <c>tinygemm_kernel_avx</c>; "f16 only has avx512 kernels for now"), not against
/// activations rounded to F16 as the plain CPU path does. Per output: 16 float lanes, lane i accumulating
/// fma(x[k0 + i], w[k0 + i]) for k0 = 0, 16, 32, … in order, then <c>_mm512_reduce_add_ps</c>'s tree (lane i + lane
/// i + 8, then i + 4, then (0 + 2) + (1 + 3)). <see cref="MultiplyScalar"/> is the reference the vector path equals
/// to the bit.
/// </summary>
internal static unsafe class F16AmxGemm
{
    /// <summary>K step of ggml's kernel (one 512-bit register of floats).</summary>
    public const int Lanes = 16;

    public static bool CanHold(int k) => k > 0 && k % Lanes == 0;

    /// <summary>
    /// Weight rows [<paramref name="r0"/>, <paramref name="r1"/>) of <c>y[t·n + r] = W[r] · x_t</c>: W is n × k halves
    /// (row-major), x is m × k floats. <paramref name="scratch"/>: <see cref="F16MatMul.ScratchFloats"/>(k) floats for
    /// batches (m &gt; 1), or null to have one allocated for the call. <paramref name="finite"/>: rows [r0, r1) hold no
    /// infinity or NaN (<see cref="F16MatMul.RowsAreFinite"/>), so one token may convert them the short way.
    /// </summary>
    public static void Multiply(ushort* w, int n, int k, float* x, int m, float* y, int r0, int r1, float* scratch = null, bool finite = false)
    {
        if (!CanHold(k)) throw new ArgumentException($"F16 AMX product needs k % {Lanes} == 0, got {k}");
        if (!Avx512F.IsSupported)
        {
            MultiplyScalar(w, n, k, x, m, y, r0, r1);
            return;
        }
        if (m == 1 || !F16MatMul.IsSupported)
        {
            for (int t = 0; t < m; t++)
                if (finite) OneToken<FiniteHalves>(w, k, x + (long)t * k, y + (long)t * n, r0, r1);
                else OneToken<AnyHalves>(w, k, x + (long)t * k, y + (long)t * n, r0, r1);
            return;
        }
        // Batches: the plain path's tinyBLAS kernel (a tile of weight rows converted to float once, 4 × 4 outputs in
        // registers), whose per-output order is this one; only its activations differ (F32 here, F16-rounded there).
        float* own = null;
        if (scratch == null) scratch = own = (float*)NativeMemory.AlignedAlloc((nuint)F16MatMul.ScratchFloats(k) * sizeof(float), 64);
        try
        {
            F16MatMul.TinyBlasRows(w, n, k, x, m, y, r0, r1, scratch);
        }
        finally
        {
            if (own != null) NativeMemory.AlignedFree(own);
        }
    }

    /// <summary>
    /// One activation row. Rows up to <see cref="F16MatMul.SingleRowMaxK"/> long one at a time: a single sequential stream
    /// the hardware prefetcher follows at full read bandwidth, with the activations in L1 beside it (as the plain path's
    /// one-token F16 kernel). Longer rows four at a time, each activation load used four times, the next four rows
    /// prefetched into L2 (four streams alone confuse the hardware prefetcher).
    /// </summary>
    private static void OneToken<T>(ushort* w, int k, float* x, float* y, int r0, int r1) where T : struct, IHalves
    {
        int r = r0;
        if (k > F16MatMul.SingleRowMaxK)
            for (; r + 4 <= r1; r += 4) Rows4<T>(w + (long)r * k, k, x, y + r);
        for (; r < r1; r++) y[r] = Row<T>(w + (long)r * k, k, x);
    }

    /// <summary>16 halves to floats, exactly; the conversion is the one-token kernels' main cost once the rows stream.</summary>
    private interface IHalves
    {
        static abstract Vector512<float> Load(ushort* p);
    }

    /// <summary>Every half, infinities and NaNs included.</summary>
    private struct AnyHalves : IHalves
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ushort* p) => Simd512.LoadHalves((byte*)p);
    }

    /// <summary>Finite halves only, in four operations: the bits moved into float position (2^-112 too small), then × 2^112 (exact).</summary>
    private struct FiniteHalves : IHalves
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ushort* p) => FloatFormats.FiniteHalves(p);
    }

    /// <summary>Scalar reference: the same lane accumulation and reduction tree, one value at a time.</summary>
    public static void MultiplyScalar(ushort* w, int n, int k, float* x, int m, float* y, int r0, int r1)
    {
        var lanes = stackalloc float[Lanes];
        for (int r = r0; r < r1; r++)
            for (int t = 0; t < m; t++)
            {
                ushort* wr = w + (long)r * k;
                float* xt = x + (long)t * k;
                for (int i = 0; i < Lanes; i++) lanes[i] = 0;
                for (int k0 = 0; k0 < k; k0 += Lanes)
                    for (int i = 0; i < Lanes; i++)
                        lanes[i] = MathF.FusedMultiplyAdd(xt[k0 + i], (float)BitConverter.UInt16BitsToHalf(wr[k0 + i]), lanes[i]);
                y[(long)t * n + r] = ReduceScalar(lanes);
            }
    }

    /// <summary>_mm512_reduce_add_ps as GCC and Clang expand it.</summary>
    internal static float ReduceScalar(float* a)
    {
        var h = stackalloc float[8];
        for (int i = 0; i < 8; i++) h[i] = a[i + 8] + a[i];
        var q = stackalloc float[4];
        for (int i = 0; i < 4; i++) q[i] = h[i + 4] + h[i];
        return (q[0] + q[2]) + (q[1] + q[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector512<float> v)
    {
        var h = v.GetUpper() + v.GetLower();
        var q = h.GetUpper() + h.GetLower();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Row<T>(ushort* w, int k, float* x) where T : struct, IHalves
    {
        var acc = Vector512<float>.Zero;
        for (int k0 = 0; k0 < k; k0 += Lanes)
            acc = Avx512F.FusedMultiplyAdd(Vector512.Load(x + k0), T.Load(w + k0), acc);
        return Reduce(acc);
    }

    /// <summary>
    /// 4 weight rows (stride k) against one activation row; the activation loaded once per step for all four. Each
    /// 16-value step prefetches its 128-byte share of the next four rows (one contiguous region) into L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4<T>(ushort* w, int k, float* x, float* y) where T : struct, IHalves
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        ushort* w1 = w + k, w2 = w + 2 * k, w3 = w + 3 * k;
        var next = (byte*)(w + 4 * (nint)k);
        for (int k0 = 0; k0 < k; k0 += Lanes)
        {
            var p = next + 8 * k0;
            Sse.Prefetch1(p);
            Sse.Prefetch1(p + 64);
            var xv = Vector512.Load(x + k0);
            a0 = Avx512F.FusedMultiplyAdd(xv, T.Load(w + k0), a0);
            a1 = Avx512F.FusedMultiplyAdd(xv, T.Load(w1 + k0), a1);
            a2 = Avx512F.FusedMultiplyAdd(xv, T.Load(w2 + k0), a2);
            a3 = Avx512F.FusedMultiplyAdd(xv, T.Load(w3 + k0), a3);
        }
        y[0] = Reduce(a0); y[1] = Reduce(a1); y[2] = Reduce(a2); y[3] = Reduce(a3);
    }
}
