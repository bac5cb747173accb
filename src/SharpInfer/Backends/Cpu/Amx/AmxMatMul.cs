using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// y = W·x for weights in ggml's AMX layout (<see cref="Q8_0AmxLayout"/>, <see cref="Q4_0AmxLayout"/>,
/// <see cref="Q4_1AmxLayout"/>) against activations already converted to the weight's vec_dot type
/// (Q8_0 for Q8_0 and Q4_0, Q8_1 for Q4_1, Q8_K for the K-quants and IQ4_XS; one row per activation vector, quantized once per matmul
/// and shared by all threads). Several activation rows go through the tile program
/// (<see cref="Q8_0TileMatmul"/>, <see cref="Q4TileMatmul"/>, <see cref="KQuantTileMatmul"/>: each call loads its tile configuration
/// and releases the tiles before returning, so any thread may run it); one row goes through a gemv
/// over the same packed bytes, since a 1-row tile wastes 15/16 of the tile unit. All apply the scales
/// as ggml's AMX kernel does: C = fma(isum, d_w·d_a, C) block by block (then fma(m_w, s_a, C) for Q4_1).
/// F16 weights stay in the file's layout and meet the F32 activations (<see cref="F16AmxGemm"/>), as in ggml.
/// </summary>
internal sealed unsafe class AmxMatMul(ITileProgramRunner runner)
{
    private readonly Q8_0TileMatmul _q8_0 = new(runner);
    private readonly Q4TileMatmul _q4_0 = new(runner, GgmlType.Q4_0);
    private readonly Q4TileMatmul _q4_1 = new(runner, GgmlType.Q4_1);
    private readonly KQuantTileMatmul _q4_K = new(runner, GgmlType.Q4_K);
    private readonly KQuantTileMatmul _q5_K = new(runner, GgmlType.Q5_K);
    private readonly KQuantTileMatmul _q6_K = new(runner, GgmlType.Q6_K);
    private readonly KQuantTileMatmul _iq4_XS = new(runner, GgmlType.IQ4_XS);

    /// <summary>Output columns (weight rows) this kernel splits on.</summary>
    public const int ColumnGrain = Q8_0AmxLayout.PanelRows;

    /// <summary>The weight types ggml's AMX buffer takes: its AMX kernels' types, and F16 (kept as it is, AVX-512 kernel).</summary>
    public static bool Supports(GgmlType type) =>
        type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_XS
            or GgmlType.F16;

    /// <summary>
    /// The weight type whose activation conversion a product with <paramref name="type"/> weights here takes: its own
    /// (the vec_dot type), except F16, which ggml multiplies against the F32 activations (the conversion of F32 weights).
    /// </summary>
    public static GgmlType ConversionType(GgmlType type) => type == GgmlType.F16 ? GgmlType.F32 : type;

    /// <summary>Whether a <paramref name="type"/> matrix of N rows × K fits ggml's AMX layout.</summary>
    public static bool CanPack(GgmlType type, int n, int k) => type switch
    {
        GgmlType.Q8_0 => Q8_0AmxLayout.CanPack(n, k),
        GgmlType.Q4_0 => Q4_0AmxLayout.CanPack(n, k),
        GgmlType.Q4_1 => Q4_1AmxLayout.CanPack(n, k),
        GgmlType.Q4_K => Q4_KAmxLayout.CanPack(n, k),
        GgmlType.Q5_K => Q5_KAmxLayout.CanPack(n, k),
        GgmlType.Q6_K => Q6_KAmxLayout.CanPack(n, k),
        GgmlType.IQ4_XS => IQ4_XSAmxLayout.CanPack(n, k),
        GgmlType.F16 => F16AmxGemm.CanHold(k),
        _ => false,
    };

    public static long PackedBytes(GgmlType type, int n, int k) => type switch
    {
        GgmlType.Q8_0 => Q8_0AmxLayout.PackedBytes(n, k),
        GgmlType.Q4_0 => Q4_0AmxLayout.PackedBytes(n, k),
        GgmlType.Q4_1 => Q4_1AmxLayout.PackedBytes(n, k),
        GgmlType.Q4_K => Q4_KAmxLayout.PackedBytes(n, k),
        GgmlType.Q5_K => Q5_KAmxLayout.PackedBytes(n, k),
        GgmlType.Q6_K => Q6_KAmxLayout.PackedBytes(n, k),
        GgmlType.IQ4_XS => IQ4_XSAmxLayout.PackedBytes(n, k),
        GgmlType.F16 => 2L * n * k,
        _ => throw new ArgumentException($"no AMX layout for {type}"),
    };

    public static byte[] Pack(GgmlType type, ReadOnlySpan<byte> fileRows, int n, int k) => type switch
    {
        GgmlType.Q8_0 => Q8_0AmxLayout.Pack(fileRows, n, k),
        GgmlType.Q4_0 => Q4_0AmxLayout.Pack(fileRows, n, k),
        GgmlType.Q4_1 => Q4_1AmxLayout.Pack(fileRows, n, k),
        GgmlType.Q4_K => Q4_KAmxLayout.Pack(fileRows, n, k),
        GgmlType.Q5_K => Q5_KAmxLayout.Pack(fileRows, n, k),
        GgmlType.Q6_K => Q6_KAmxLayout.Pack(fileRows, n, k),
        GgmlType.IQ4_XS => IQ4_XSAmxLayout.Pack(fileRows, n, k),
        GgmlType.F16 => fileRows[..checked((int)(2L * n * k))].ToArray(), // ggml: "for f16, bf16 we don't do packing"
        _ => throw new ArgumentException($"no AMX layout for {type}"),
    };

    /// <summary>
    /// Weight rows [<paramref name="r0"/>, <paramref name="r1"/>) (multiples of 16) of
    /// <c>y[t·n + r] = W[r] · x_t</c> for <paramref name="m"/> activation rows. <paramref name="f16Scratch"/>,
    /// <paramref name="f16Finite"/>: the calling thread's scratch for F16 batches and whether its F16 rows are finite
    /// (<see cref="F16AmxGemm.Multiply"/>).
    /// </summary>
    public void Multiply(GgmlType type, byte* packed, int n, int k, byte* activations, int m, float* y, int r0, int r1, float* f16Scratch = null,
        bool f16Finite = false)
    {
        if (!Supports(type)) throw new ArgumentException($"no AMX kernels for {type}");
        if (type == GgmlType.F16)
        {
            F16AmxGemm.Multiply((ushort*)packed, n, k, (float*)activations, m, y, r0, r1, f16Scratch, f16Finite);
            return;
        }
        if (m == 1)
        {
            if (type == GgmlType.Q8_0) Q8_0AmxGemv.Multiply(packed, k, activations, y, r0, r1);
            else if (type == GgmlType.Q4_K) KMinsAmxMath.Gemv(KMinsAmxMath.Layout.Q4_K, packed, k, activations, y, r0, r1);
            else if (type == GgmlType.Q5_K) KMinsAmxMath.Gemv(KMinsAmxMath.Layout.Q5_K, packed, k, activations, y, r0, r1);
            else if (type == GgmlType.Q6_K) KScalesAmxMath.Gemv(KScalesAmxMath.Layout.Q6_K, packed, k, activations, y, r0, r1);
            else if (type == GgmlType.IQ4_XS) KScalesAmxMath.Gemv(KScalesAmxMath.Layout.IQ4_XS, packed, k, activations, y, r0, r1);
            else Q4AmxGemv.Multiply(type, packed, k, activations, y, r0, r1);
            return;
        }
        long actBytes = (long)m * VecDot.ActivationRowBytes(type, k);
        var a = new ReadOnlySpan<byte>(activations, checked((int)actBytes));
        var w = new ReadOnlySpan<byte>(packed, checked((int)PackedBytes(type, n, k)));
        var c = new Span<float>(y, checked(m * n));
        var tiles = type switch { GgmlType.Q4_0 => _q4_0, GgmlType.Q4_1 => _q4_1, _ => null };
        if (type == GgmlType.Q4_K) _q4_K.Multiply(a, m, k, w, n, c, r0, r1 - r0);
        else if (type == GgmlType.Q5_K) _q5_K.Multiply(a, m, k, w, n, c, r0, r1 - r0);
        else if (type == GgmlType.Q6_K) _q6_K.Multiply(a, m, k, w, n, c, r0, r1 - r0);
        else if (type == GgmlType.IQ4_XS) _iq4_XS.Multiply(a, m, k, w, n, c, r0, r1 - r0);
        else if (tiles is null) _q8_0.Multiply(a, m, k, w, n, c, r0, r1 - r0);
        else tiles.Multiply(a, m, k, w, n, c, r0, r1 - r0);
    }
}
