using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The arithmetic of Q6_K weights in <see cref="Q6_KAmxLayout"/> against Q8_K activations, shared by the tile path
/// (per-step int32 sums Σ (q − 32)·a from the tile program) and the one-row gemv, so both give the same bits. As in
/// ggml's vec_dot a super-block's sums stay integer — sumi = Σ_j sc_j·isum_j over its sixteen 16-value sub-blocks — and
/// then <c>C = fma(sumi, d·d_y, C)</c> per super-block.
/// </summary>
internal static unsafe class Q6_KAmxMath
{
    private const int Panel = Q6_KAmxLayout.PanelRows, Tile = Q6_KAmxLayout.TileBytes, ActBlock = Q8_KFormat.BlockBytes;

    private static float ActivationScale(byte* aRow, int superBlock) => *(float*)(aRow + (long)superBlock * ActBlock);

    /// <summary>C for a block of activation rows × weight columns from the program's 32×32 int32 sums per step.</summary>
    public static void ApplyTileSums(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols,
        Span<float> c, int ldc)
    {
        if (Avx512F.IsSupported && cols % 16 == 0) ApplyTileSumsAvx512(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, ldc);
        else ApplyTileSumsScalar(aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, ldc);
    }

    internal static void ApplyTileSumsScalar(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows,
        int cols, Span<float> c, int ldc)
    {
        for (int i = 0; i < rows; i++)
            for (int col = 0; col < cols; col++)
            {
                byte* aRow = aRows + i * rowBytes;
                byte* panel = panels + (col / 16) * panelBytes;
                int r = col % 16;
                float acc = 0f;
                for (int s = 0; s < steps / 16; s++)
                {
                    int sumi = 0;
                    for (int j = 0; j < 16; j++)
                    {
                        int b = 16 * s + j;
                        sumi += (sbyte)panel[(long)b * Tile + Q6_KAmxLayout.ScalesOffset + r] * sums[b * 1024 + i * 32 + col];
                    }
                    acc = SuperBlock(acc, sumi, ActivationScale(aRow, s), panel + (long)16 * s * Tile, r);
                }
                c[i * ldc + col] = acc;
            }
    }

    internal static void ApplyTileSumsAvx512(byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows,
        int cols, Span<float> c, int ldc)
    {
        if (cols % 16 != 0) throw new ArgumentException($"cols {cols}: the vector path takes whole 16-column panels");
        if (c.Length < (rows - 1) * ldc + cols) throw new ArgumentException("output too small");
        var sc = stackalloc Vector512<int>[16];
        fixed (float* c0 = c)
        {
            for (int i = 0; i < rows; i++)
                for (int col = 0; col < cols; col += 16) Vector512<float>.Zero.Store(c0 + i * ldc + col);
            for (int s = 0; s < steps / 16; s++)
                for (int col = 0; col < cols; col += 16)
                {
                    byte* first = panels + (col / 16) * panelBytes + (long)16 * s * Tile;
                    for (int j = 0; j < 16; j++) sc[j] = Scales(first + (long)j * Tile);
                    var d = Simd512.LoadHalves(first + Q6_KAmxLayout.DOffset);
                    for (int i = 0; i < rows; i++)
                    {
                        var sumi = Vector512<int>.Zero;
                        for (int j = 0; j < 16; j++) sumi += sc[j] * Vector512.Load(sums + (16 * s + j) * 1024 + i * 32 + col);
                        float* ci = c0 + i * ldc + col;
                        SuperBlock(Vector512.Load(ci), sumi, ActivationScale(aRows + i * rowBytes, s), d).Store(ci);
                    }
                }
        }
    }

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Gemv(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (Avx512BW.IsSupported) GemvAvx512(packed, k, activation, y, r0, r1);
        else GemvScalar(packed, k, activation, y, r0, r1);
    }

    internal static void GemvScalar(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int steps = k / Q6_KAmxLayout.SubBlockElements;
        long panelBytes = (long)steps * Tile;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
            for (int row = 0; row < Panel; row++)
            {
                float acc = 0f;
                for (int s = 0; s < steps / 16; s++)
                {
                    byte* first = packed + p * panelBytes + (long)16 * s * Tile;
                    int sumi = 0;
                    for (int j = 0; j < 16; j++)
                    {
                        sbyte* tile = (sbyte*)(first + (long)j * Tile);
                        sbyte* a = (sbyte*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + 16 * j);
                        int isum = 0;
                        for (int e = 0; e < 16; e++) isum += tile[(e / 4) * 64 + row * 4 + e % 4] * a[e];
                        sumi += tile[Q6_KAmxLayout.ScalesOffset + row] * isum;
                    }
                    acc = SuperBlock(acc, sumi, ActivationScale(activation, s), first, row);
                }
                y[p * Panel + row] = acc;
            }
    }

    internal static void GemvAvx512(byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int steps = k / Q6_KAmxLayout.SubBlockElements;
        long panelBytes = (long)steps * Tile;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            var acc = Vector512<float>.Zero;
            for (int s = 0; s < steps / 16; s++)
            {
                byte* first = packed + p * panelBytes + (long)16 * s * Tile;
                var sumi = Vector512<int>.Zero;
                for (int j = 0; j < 16; j++)
                {
                    byte* tile = first + (long)j * Tile;
                    int* a = (int*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + 16 * j);
                    var isum = Vector512<int>.Zero;
                    for (int g = 0; g < 4; g++)
                        isum += Simd512.DotI8(Vector512.Load((sbyte*)tile + 64 * g), Vector512.Create(a[g]).AsSByte());
                    sumi += Scales(tile) * isum;
                }
                acc = SuperBlock(acc, sumi, ActivationScale(activation, s), Simd512.LoadHalves(first + Q6_KAmxLayout.DOffset));
            }
            acc.Store(y + p * Panel);
        }
    }

    private static Vector512<int> Scales(byte* tile) => Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)(tile + Q6_KAmxLayout.ScalesOffset)));

    private static float SuperBlock(float acc, int sumi, float dy, byte* tile, int row) =>
        MathF.FusedMultiplyAdd(sumi, (float)((Half*)(tile + Q6_KAmxLayout.DOffset))[row] * dy, acc);

    private static Vector512<float> SuperBlock(Vector512<float> acc, Vector512<int> sumi, float dy, Vector512<float> d) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sumi), d * Vector512.Create(dy), acc);
}
