using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One Q8_0 activation row times weights in <see cref="Q8_0AmxLayout"/> without tiles (ggml's AMX
/// buffer also serves M = 1 with a vector kernel). Same arithmetic as the tile path: exact int32
/// block sums, then <c>C = fma(isum, d_w·d_a, C)</c> block by block, so both paths give the same bits.
/// The AVX-512 path takes a panel's 16 rows per register (the VNNI order puts row j's four bytes of
/// each k group at j·4 of a 64-byte line): exact integer sums again, then the same fused adds per lane.
/// </summary>
internal static unsafe class Q8_0AmxGemv
{
    private const int Panel = Q8_0AmxLayout.PanelRows, Block = Q8_0AmxLayout.BlockElements;

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Multiply(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (AmxVnniGemv.IsAvailable) AmxVnniGemv.Multiply(GgmlType.Q8_0, packed, k, activation, y, r0, r1);
        else if (Avx512BW.IsSupported) MultiplyAvx512(packed, k, activation, y, r0, r1);
        else MultiplyScalar(packed, k, activation, y, r0, r1);
    }

    internal static void MultiplyAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int kb = k / Block;
        long panelBytes = (long)kb * Q8_0AmxLayout.TileBytes;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            var acc = Vector512<float>.Zero;
            byte* tile = packed + p * panelBytes;
            for (int b = 0; b < kb; b++, tile += Q8_0AmxLayout.TileBytes)
            {
                byte* block = activation + (long)b * Q8_0AmxLayout.BlockBytes;
                int* a = (int*)(block + 2);
                var isum = Vector512<int>.Zero;
                for (int g = 0; g < Block / 4; g++)
                    isum += Simd512.DotI8(Vector512.Load((sbyte*)tile + g * 64), Vector512.Create(a[g]).AsSByte());
                var scale = Simd512.LoadHalves(tile + Q8_0AmxLayout.ScalesOffset) * Vector512.Create((float)*(Half*)block);
                acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(isum), scale, acc);
            }
            acc.Store(y + p * Panel);
        }
    }

    internal static void MultiplyScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int kb = k / Block;
        long panelBytes = (long)kb * Q8_0AmxLayout.TileBytes;
        float* acc = stackalloc float[Panel];
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            for (int j = 0; j < Panel; j++) acc[j] = 0f;
            byte* tile = packed + p * panelBytes;
            for (int b = 0; b < kb; b++, tile += Q8_0AmxLayout.TileBytes)
            {
                byte* block = activation + (long)b * Q8_0AmxLayout.BlockBytes;
                float da = (float)*(Half*)block;
                sbyte* a = (sbyte*)(block + 2);
                Half* dw = (Half*)(tile + Q8_0AmxLayout.ScalesOffset);
                for (int j = 0; j < Panel; j++)
                {
                    // quants in VNNI order {k/4, n, 4}: row j's k = 4g..4g+3 sit at g*64 + j*4
                    sbyte* q = (sbyte*)tile + j * 4;
                    int isum = 0;
                    for (int g = 0; g < Block / 4; g++, q += 4 * Panel)
                        isum += q[0] * a[4 * g] + q[1] * a[4 * g + 1] + q[2] * a[4 * g + 2] + q[3] * a[4 * g + 3];
                    acc[j] = MathF.FusedMultiplyAdd(isum, (float)dw[j] * da, acc[j]);
                }
            }
            for (int j = 0; j < Panel; j++) y[p * Panel + j] = acc[j];
        }
    }
}
