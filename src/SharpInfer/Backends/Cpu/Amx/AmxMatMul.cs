using SharpInfer.Backends.Cpu.Amx.Kernels;

namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// y = W·x for weights in <see cref="Q8_0AmxLayout"/> against activations already quantized to Q8_0
/// (one block_q8_0 row per activation vector; quantized once per matmul and shared by all threads).
/// Several activation rows go through the tile program (<see cref="Q8_0TileMatmul"/>: each call
/// loads its tile configuration and releases the tiles before returning, so any thread may run it);
/// one row goes through <see cref="Q8_0AmxGemv"/> over the same packed bytes, since a 1-row tile
/// wastes 15/16 of the tile unit. Both apply the scales as ggml's AMX kernel does:
/// C = fma(isum, d_w·d_a, C) block by block.
/// </summary>
internal sealed unsafe class AmxMatMul(ITileProgramRunner runner)
{
    private readonly Q8_0TileMatmul _tiles = new(runner);

    /// <summary>Output columns (weight rows) this kernel splits on.</summary>
    public const int ColumnGrain = Q8_0AmxLayout.PanelRows;

    /// <summary>
    /// Weight rows [<paramref name="r0"/>, <paramref name="r1"/>) (multiples of 16) of
    /// <c>y[t·n + r] = W[r] · x_t</c> for <paramref name="m"/> activation rows.
    /// </summary>
    public void Multiply(byte* packed, int n, int k, byte* activations, int m, float* y, int r0, int r1)
    {
        if (m == 1)
        {
            Q8_0AmxGemv.Multiply(packed, k, activations, y, r0, r1);
            return;
        }
        long actBytes = (long)m * (k / Q8_0AmxLayout.BlockElements) * Q8_0AmxLayout.BlockBytes;
        _tiles.Multiply(new ReadOnlySpan<byte>(activations, checked((int)actBytes)), m, k,
            new ReadOnlySpan<byte>(packed, checked((int)Q8_0AmxLayout.PackedBytes(n, k))), n,
            new Span<float>(y, checked(m * n)), r0, r1 - r0);
    }
}
