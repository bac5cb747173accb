using SharpInfer.Numerics.Threading;
using System.Runtime.InteropServices;
using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Backends.Cpu.Repack;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Models.Compute;

/// <summary>
/// The one seam through which the forward pass multiplies by a weight: y = W·x for a batch of
/// activation rows. As in ggml's mul_mat, the activations are first converted to the weight
/// type's vec_dot type (<see cref="ActivationType"/>), then every output is a dot product of a
/// weight row with a converted activation row. The weight's buffer type picks the kernel: weights
/// in the file's layout go row by row through the dot kernels; CPU_REPACK weights (Q4_0/Q8_0, whose
/// vec_dot type is Q8_0, so the same converted activations serve) go through <see cref="RepackMatMul"/>.
/// AMX weights (Q8_0 / Q4_0 / Q4_1 in ggml's AMX layout) go through <see cref="AmxMatMul"/>, again on the
/// same converted activations (Q8_0, or Q8_1 for Q4_1). The forward pass does not know which.
/// </summary>
internal static unsafe class MatMul
{
    public static bool Supports(GgmlType weightType) => VecDot.Supports(weightType);

    /// <summary>ggml's type_traits_cpu[type].vec_dot_type.</summary>
    public static GgmlType ActivationType(GgmlType weightType) => VecDot.ActivationType(weightType);

    /// <summary>
    /// The weight type whose activation conversion (<see cref="ConvertActivations"/>) a product with <paramref name="w"/>
    /// takes: its own, except where its buffer type multiplies against other activations (F16 in the AMX buffer meets
    /// the F32 activations, as in ggml).
    /// </summary>
    public static GgmlType ConversionType(WeightMatrix w) => w.BufferType is AmxBufferType ? AmxMatMul.ConversionType(w.Type) : w.Type;

    /// <summary>Bytes one activation row of <paramref name="k"/> elements takes once converted for <paramref name="weightType"/>.</summary>
    public static long ActivationRowBytes(GgmlType weightType, int k) => VecDot.ActivationRowBytes(weightType, k);

    /// <summary>Converts <paramref name="n"/> rows of <paramref name="k"/> floats to the activation type of <paramref name="weightType"/>.</summary>
    public static void ConvertActivations(GgmlType weightType, ReadOnlySpan<float> x, int n, int k, Span<byte> dst)
    {
        var rowBytes = (int)ActivationRowBytes(weightType, k);
        for (var t = 0; t < n; t++)
        {
            var src = x.Slice(t * k, k);
            var d = dst.Slice(t * rowBytes, rowBytes);
            switch (ActivationType(weightType))
            {
                case GgmlType.F32:
                    src.CopyTo(MemoryMarshal.Cast<byte, float>(d));
                    break;
                case GgmlType.F16:
                    FloatFormats.FloatToHalf(src, MemoryMarshal.Cast<byte, ushort>(d));
                    break;
                case GgmlType.BF16:
                    FloatFormats.FloatToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(d));
                    break;
                default:
                    VecDot.QuantizeActivations(weightType, src, d);
                    break;
            }
        }
    }

    /// <summary>
    /// y[t, r] = W[r] · x[t] for <paramref name="n"/> activation rows already converted by
    /// <see cref="ConvertActivations"/>; <paramref name="y"/> is n × Rows, row-major.
    /// </summary>
    public static void Multiply(WeightMatrix w, ReadOnlySpan<byte> activations, int n, Span<float> y)
    {
        var actRowBytes = ActivationRowBytes(ConversionType(w), w.Columns);
        if (activations.Length < n * actRowBytes || y.Length < n * w.Rows)
            throw new ArgumentException("matmul buffers are too small");
        fixed (byte* a = activations)
        fixed (float* yp = y)
            MultiplyRows(w, a, actRowBytes, n, yp, 0, w.Rows);
    }

    /// <summary>Rows [r0, r1) of the product: the unit of work one thread takes.</summary>
    internal static void MultiplyRows(WeightMatrix w, byte* a, long actRowBytes, int n, float* y, int r0, int r1, byte* activationSide = null,
                                      float* f16Scratch = null, bool f16Finite = false)
    {
        if (w.BufferType is RepackBufferType)
        {
            MultiplyRepacked(w, a, n, y, r0, r1);
            return;
        }
        if (w.BufferType is AmxBufferType amx)
        {
            amx.Kernels.Multiply(w.Type, w.Data, w.Rows, w.Columns, a, n, y, r0, r1, f16Scratch, f16Finite);
            return;
        }
        if (w.Type == GgmlType.F32)
        {
            MultiplyF32(w, a, actRowBytes, n, y, r0, r1);
            return;
        }
        if (w.Type == GgmlType.F16)
        {
            MultiplyF16(w, a, actRowBytes, n, y, r0, r1);
            return;
        }
        // Weights in the file's layout: the shared kernels (SIMD row dots, several activation rows per weight row).
        Numerics.Kernels.MatMul.MultiplyRows(w.Type, w.Row(0), w.Rows, w.Columns, a, n, y, r0, r1, activationSide);
    }

    /// <summary>
    /// F32 weights follow ggml's AVX-512 order to the bit: llamafile's tinyBLAS when it takes the
    /// product (two or more tokens, k a multiple of 16, rows a multiple of 4), ggml_vec_dot_f32
    /// otherwise. With an F16 KV cache, last-bit differences here flip F16 roundings (3.6e-3 on
    /// stories260K before, 8e-6 after).
    /// </summary>
    private static void MultiplyF32(WeightMatrix w, byte* a, long actRowBytes, int n, float* y, int r0, int r1) =>
        MultiplyFloatRows(w, a, actRowBytes, n, y, r0, r1, &F32TinyBlas, &F32VecDot);

    /// <summary>
    /// F16 weights follow ggml's AVX-512 order to the bit, as <see cref="MultiplyF32"/> does: the
    /// activations are already rounded to F16 (the vec_dot type); tinyBLAS takes the product under
    /// the same conditions as for F32, ggml_vec_dot_f16 otherwise.
    /// </summary>
    private static void MultiplyF16(WeightMatrix w, byte* a, long actRowBytes, int n, float* y, int r0, int r1) =>
        MultiplyFloatRows(w, a, actRowBytes, n, y, r0, r1, &F16TinyBlas, &F16VecDot);

    private static float F32TinyBlas(byte* x, byte* y, int k) => GgmlSums.F32TinyBlas((float*)x, (float*)y, k);
    private static float F32VecDot(byte* x, byte* y, int k) => GgmlSums.F32VecDot((float*)x, (float*)y, k);
    private static float F16TinyBlas(byte* x, byte* y, int k) => GgmlSums.F16TinyBlas((ushort*)x, (ushort*)y, k);
    private static float F16VecDot(byte* x, byte* y, int k) => GgmlSums.F16VecDot((ushort*)x, (ushort*)y, k, k);

    /// <summary>Row by row in 16-row blocks with tinyBLAS's order where ggml's mul_mat hands the product to it.</summary>
    private static void MultiplyFloatRows(WeightMatrix w, byte* a, long actRowBytes, int n, float* y, int r0, int r1,
                                          delegate*<byte*, byte*, int, float> tinyBlasDot, delegate*<byte*, byte*, int, float> vecDot)
    {
        var k = w.Columns;
        var m = w.Rows;
        var dot = n >= 2 && k % 16 == 0 && m % 4 == 0 ? tinyBlasDot : vecDot;
        const int RowBlock = 16;
        for (var b0 = r0; b0 < r1; b0 += RowBlock)
        {
            var b1 = Math.Min(r1, b0 + RowBlock);
            for (var t = 0; t < n; t++)
            {
                var act = a + t * actRowBytes;
                var yr = y + (long)t * m;
                for (var r = b0; r < b1; r++) yr[r] = dot(w.Row(r), act, k);
            }
        }
    }

    /// <summary>Rows [r0, r1) (multiples of the 8-row groups) of a CPU_REPACK product.</summary>
    private static void MultiplyRepacked(WeightMatrix w, byte* a, int n, float* y, int r0, int r1)
    {
        const int G = RepackLayout.Rows;
        if (r0 % G != 0 || (r1 % G != 0 && r1 != w.Rows))
            throw new ArgumentException($"{w.Name}: CPU_REPACK rows [{r0}, {r1}) do not fall on {G}-row groups");
        int g0 = r0 / G, count = (r1 - r0 + G - 1) / G;
        if (n == 1) RepackMatMul.GemvGroups(w.Type, w.Data, w.Columns, a, y, g0, count, RepackMatMul.DefaultPath);
        else RepackMatMul.GemmGroups(w.Type, w.Data, w.Rows, w.Columns, a, n, y, g0, count, RepackMatMul.DefaultPath);
    }

    /// <summary>Splits a product over the threads of a <see cref="WorkerPool"/> by blocks of weight rows; one per forward pass.</summary>
    internal sealed class Runner(WorkerPool pool) : IParallelWork
    {
        private WeightMatrix? _w;
        private byte[]? _act;
        private float[]? _y;
        private int _n, _yOffset;
        private byte[] _side = [];
        private bool _useSide;

        // F16 weights: the activations widened to float once per product, and each part's tile of weight rows
        private readonly PinnedFloats _actF32 = new();
        private readonly PinnedFloats[] _scratch = CreateScratch(pool.ThreadCount);
        private float* _actF32Rows;

        // Per part: whether its share of a matrix's rows is free of infinities and NaNs, learned on first use
        // (the shares never change: the pool's thread count is fixed).
        private readonly Dictionary<WeightMatrix, bool>[] _finite = CreateFiniteMaps(pool.ThreadCount);

        public void Multiply(WeightMatrix w, byte[] activations, int n, float[] y, int yOffset)
        {
            if (activations.Length < n * ActivationRowBytes(ConversionType(w), w.Columns) || y.Length - yOffset < (long)n * w.Rows)
                throw new ArgumentException("matmul buffers are too small");
            (_w, _act, _n, _y, _yOffset) = (w, activations, n, y, yOffset);
            _actF32Rows = null;
            _useSide = false;
            if (UsesF16Kernels(w))
            {
                _actF32Rows = _actF32.Get(n * w.Columns);
                fixed (byte* a = activations) F16MatMul.PrepareActivations((ushort*)a, _actF32Rows, n, w.Columns, w.Rows);
            }
            else
            {
                // Weights in the file's layout on the emitted VNNI kernels: per-activation-row data prepared once for all threads.
                long sideBytes = w.BufferType is RepackBufferType or AmxBufferType ? 0 : Numerics.Kernels.MatMul.ActivationSideBytes(w.Type, w.Columns, n);
                _useSide = sideBytes > 0;
                if (_useSide)
                {
                    if (_side.Length < sideBytes) _side = GC.AllocateUninitializedArray<byte>((int)sideBytes, pinned: true);
                    fixed (byte* a = activations)
                    fixed (byte* s = _side)
                        Numerics.Kernels.MatMul.PrepareActivationSide(w.Type, a, n, w.Columns, s);
                }
            }
            try
            {
                pool.Run(this);
            }
            finally
            {
                (_w, _act, _y) = (null, null, null);
                _actF32Rows = null;
            }
        }

        public void Execute(int part, int parts)
        {
            var w = _w!;
            var (r0, r1) = ParallelWork.Share(w.Rows, part, parts, RowGrain);
            if (r0 >= r1) return;
            fixed (byte* a = _act)
            fixed (float* y = _y)
            {
                if (_actF32Rows != null)
                {
                    var weights = (ushort*)w.Row(0);
                    var scratch = _scratch[part].Get(F16MatMul.ScratchFloats(w.Columns));
                    F16MatMul.MultiplyRows(weights, w.Rows, w.Columns, _actF32Rows, _n, y + _yOffset, r0, r1, scratch, IsFinite(w, part, r0, r1));
                }
                else if (w.Type == GgmlType.F16 && w.BufferType is AmxBufferType)
                {
                    // F16 in the AMX buffer: batches convert a tile of weight rows into the part's scratch, as above;
                    // one token converts finite rows the short way
                    var scratch = _n > 1 ? _scratch[part].Get(F16MatMul.ScratchFloats(w.Columns)) : null;
                    MultiplyRows(w, a, ActivationRowBytes(ConversionType(w), w.Columns), _n, y + _yOffset, r0, r1, null, scratch,
                                 _n == 1 && IsFinite(w, part, r0, r1));
                }
                else
                    fixed (byte* side = _side)
                        MultiplyRows(w, a, ActivationRowBytes(ConversionType(w), w.Columns), _n, y + _yOffset, r0, r1, _useSide ? side : null);
            }
        }

        private bool IsFinite(WeightMatrix w, int part, int r0, int r1)
        {
            var known = _finite[part];
            if (!known.TryGetValue(w, out var finite))
                known[w] = finite = F16MatMul.RowsAreFinite((ushort*)w.Data, w.Columns, r0, r1); // F16 keeps its rows in either buffer
            return finite;
        }

        private static bool UsesF16Kernels(WeightMatrix w) => w.Type == GgmlType.F16 && w.KeepsFileLayout && F16MatMul.IsSupported;

        private static Dictionary<WeightMatrix, bool>[] CreateFiniteMaps(int parts)
        {
            var maps = new Dictionary<WeightMatrix, bool>[parts];
            for (var i = 0; i < parts; i++) maps[i] = new Dictionary<WeightMatrix, bool>(ReferenceEqualityComparer.Instance);
            return maps;
        }

        private static PinnedFloats[] CreateScratch(int parts)
        {
            var s = new PinnedFloats[parts];
            for (var i = 0; i < parts; i++) s[i] = new PinnedFloats();
            return s;
        }

        // 16 rows: whole CPU_REPACK groups (8) and whole AMX panels (16).
        private const int RowGrain = 16;
    }
}
