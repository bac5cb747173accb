namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One Q8_0 activation row times Q4_0 weights in <see cref="Q4_0AmxLayout"/> without tiles (ggml
/// serves M = 1 with its AVX512-VNNI kernel over the same packed bytes). Same arithmetic as the tile
/// path: exact int32 block sums Σ (nibble − 8)·a (ggml computes Σ nibble·a − 8·Σ a, the same
/// integer), then <c>C = fma(isum, d_w·d_a, C)</c> block by block, so both paths give the same bits.
/// </summary>
internal static unsafe class Q4_0AmxGemv
{
    private const int Panel = Q4_0AmxLayout.PanelRows, Block = Q4_0AmxLayout.BlockElements;

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Multiply(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int kb = k / Block;
        long panelBytes = (long)kb * Q4_0AmxLayout.TileBytes;
        float* acc = stackalloc float[Panel];
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            for (int j = 0; j < Panel; j++) acc[j] = 0f;
            byte* tile = packed + p * panelBytes;
            for (int b = 0; b < kb; b++, tile += Q4_0AmxLayout.TileBytes)
            {
                byte* block = activation + (long)b * Q8_0AmxLayout.BlockBytes;
                float da = (float)*(Half*)block;
                sbyte* a = (sbyte*)(block + 2);
                Half* dw = (Half*)(tile + Q4_0AmxLayout.ScalesOffset);
                for (int j = 0; j < Panel; j++)
                {
                    // byte p·64 + j·4 + i: element 8p + i in the low nibble, 8p + 4 + i in the high one
                    byte* q = tile + j * 4;
                    int isum = 0;
                    for (int pair = 0; pair < Block / 8; pair++, q += 64)
                    {
                        sbyte* a0 = a + 8 * pair;
                        for (int i = 0; i < 4; i++)
                            isum += ((q[i] & 0xF) - 8) * a0[i] + ((q[i] >> 4) - 8) * a0[4 + i];
                    }
                    acc[j] = MathF.FusedMultiplyAdd(isum, (float)dw[j] * da, acc[j]);
                }
            }
            for (int j = 0; j < Panel; j++) y[p * Panel + j] = acc[j];
        }
    }
}
