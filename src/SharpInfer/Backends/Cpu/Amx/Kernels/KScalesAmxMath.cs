using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The arithmetic of the K-quants without mins — Q6_K in <see cref="Q6_KAmxLayout"/>, IQ4_XS in <see cref="IQ4_XSAmxLayout"/>
/// — against Q8_K activations, shared by the tile path (per-step int32 sums Σ q·a from the tile program, q the signed
/// stored quants) and the one-row gemv, so both give the same bits. As in ggml's vec_dot a super-block's sums stay
/// integer — sumi = Σ_j sc_j·isum_j over its sub-blocks (16 of 16 values for Q6_K, 8 of 32 for IQ4_XS) — and then
/// <c>C = fma(sumi, d·d_y, C)</c> per super-block.
/// </summary>
internal static unsafe class KScalesAmxMath
{
    /// <summary>Where a type's tile keeps its signed scales and fp16 d, and how a super-block divides into sub-blocks.</summary>
    /// <remarks>
    /// The scales' offset is within a tile, d's within the packed super-block (its sub-block tiles, then d).
    /// <see cref="SixBit"/>: the tile holds Q6_K's unsigned six-bit q (<see cref="Q6_KAmxLayout"/>; the value is q − 32),
    /// which the gemv multiplies exactly on VPMADDUBSW (u8·s8 pairs within int16) and takes 32·Σa back; otherwise it holds
    /// IQ4_XS's 4-bit indices (<see cref="IQ4_XSAmxLayout"/>), whose values (−127…113) the gemv looks up and multiplies
    /// signed.
    /// </remarks>
    internal readonly record struct Layout(int TileBytes, int SuperBlockBytes, int ScalesOffset, int DOffset, int SubBlocks, int SubBlockElements,
        bool SixBit)
    {
        public static readonly Layout Q6_K = new(Q6_KAmxLayout.TileBytes, Q6_KAmxLayout.PackedSuperBlockBytes, Q6_KAmxLayout.ScalesOffset,
            Q6_KAmxLayout.DOffset, 16, 16, SixBit: true);
        public static readonly Layout IQ4_XS = new(IQ4_XSAmxLayout.TileBytes, IQ4_XSAmxLayout.PackedSuperBlockBytes, IQ4_XSAmxLayout.ScalesOffset,
            IQ4_XSAmxLayout.DOffset, 8, 32, SixBit: false);
    }

    private const int Panel = 16, ActBlock = Q8_KFormat.BlockBytes;

    /// <summary>C for a block of activation rows × weight columns from the program's 32×32 int32 sums per step.</summary>
    public static void ApplyTileSums(in Layout L, byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows, int cols,
        Span<float> c, int ldc)
    {
        if (Avx512F.IsSupported && cols % 16 == 0) ApplyTileSumsAvx512(L, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, ldc);
        else ApplyTileSumsScalar(L, aRows, rowBytes, panels, panelBytes, sums, steps, rows, cols, c, ldc);
    }

    internal static void ApplyTileSumsScalar(in Layout L, byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows,
        int cols, Span<float> c, int ldc)
    {
        for (int i = 0; i < rows; i++)
            for (int col = 0; col < cols; col++)
            {
                byte* aRow = aRows + i * rowBytes;
                byte* panel = panels + (col / 16) * panelBytes;
                int r = col % 16;
                float acc = 0f;
                for (int s = 0; s < steps / L.SubBlocks; s++)
                {
                    byte* first = panel + (long)s * L.SuperBlockBytes;
                    int sumi = 0;
                    for (int j = 0; j < L.SubBlocks; j++)
                    {
                        int b = L.SubBlocks * s + j;
                        sumi += (sbyte)first[(long)j * L.TileBytes + L.ScalesOffset + r] * sums[b * 1024 + i * 32 + col];
                    }
                    acc = SuperBlock(L, acc, sumi, Q8_KFormat.Scale(aRow, s), first, r);
                }
                c[i * ldc + col] = acc;
            }
    }

    internal static void ApplyTileSumsAvx512(in Layout L, byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows,
        int cols, Span<float> c, int ldc)
    {
        if (cols % 16 != 0) throw new ArgumentException($"cols {cols}: the vector path takes whole 16-column panels");
        if (c.Length < (rows - 1) * ldc + cols) throw new ArgumentException("output too small");
        var sc = stackalloc Vector512<int>[16];
        fixed (float* c0 = c)
        {
            for (int i = 0; i < rows; i++)
                for (int col = 0; col < cols; col += 16) Vector512<float>.Zero.Store(c0 + i * ldc + col);
            for (int s = 0; s < steps / L.SubBlocks; s++)
                for (int col = 0; col < cols; col += 16)
                {
                    byte* first = panels + (col / 16) * panelBytes + (long)s * L.SuperBlockBytes;
                    for (int j = 0; j < L.SubBlocks; j++) sc[j] = Scales(L, first + (long)j * L.TileBytes);
                    var d = Simd512.LoadHalves(first + L.DOffset);
                    for (int i = 0; i < rows; i++)
                    {
                        var sumi = Vector512<int>.Zero;
                        for (int j = 0; j < L.SubBlocks; j++) sumi += sc[j] * Vector512.Load(sums + (L.SubBlocks * s + j) * 1024 + i * 32 + col);
                        float* ci = c0 + i * ldc + col;
                        SuperBlock(Vector512.Load(ci), sumi, Q8_KFormat.Scale(aRows + i * rowBytes, s), d).Store(ci);
                    }
                }
        }
    }

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Gemv(in Layout L, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (Avx512BW.IsSupported) GemvAvx512(L, packed, k, activation, y, r0, r1);
        else GemvScalar(L, packed, k, activation, y, r0, r1);
    }

    internal static void GemvScalar(in Layout L, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int steps = k / L.SubBlockElements;
        long panelBytes = (long)(steps / L.SubBlocks) * L.SuperBlockBytes;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
            for (int row = 0; row < Panel; row++)
            {
                float acc = 0f;
                for (int s = 0; s < steps / L.SubBlocks; s++)
                {
                    byte* first = packed + p * panelBytes + (long)s * L.SuperBlockBytes;
                    int sumi = 0;
                    for (int j = 0; j < L.SubBlocks; j++)
                    {
                        byte* tile = first + (long)j * L.TileBytes;
                        sbyte* a = (sbyte*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + L.SubBlockElements * j);
                        int isum = 0;
                        for (int e = 0; e < L.SubBlockElements; e++)
                        {
                            int w = L.SixBit ? Q6_KAmxLayout.Quant(tile, row, e) - Q6_KAmxLayout.Offset : IQ4_XSAmxLayout.Value(tile, row, e);
                            isum += w * a[e];
                        }
                        sumi += (sbyte)tile[L.ScalesOffset + row] * isum;
                    }
                    acc = SuperBlock(L, acc, sumi, Q8_KFormat.Scale(activation, s), first, row);
                }
                y[p * Panel + row] = acc;
            }
    }

    internal static void GemvAvx512(in Layout L, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int steps = k / L.SubBlockElements;
        long panelBytes = (long)(steps / L.SubBlocks) * L.SuperBlockBytes;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            var acc = Vector512<float>.Zero;
            for (int s = 0; s < steps / L.SubBlocks; s++)
            {
                byte* first = packed + p * panelBytes + (long)s * L.SuperBlockBytes;
                var sumi = Vector512<int>.Zero;
                for (int j = 0; j < L.SubBlocks; j++)
                {
                    byte* tile = first + (long)j * L.TileBytes;
                    int* a = (int*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + L.SubBlockElements * j);
                    var isum = Vector512<int>.Zero;
                    if (L.SixBit)
                    {
                        // Σ (q − 32)·a = Σ q·a − 32·Σa, q in 0…63: u8·s8 pairs within int16, exact on VPMADDUBSW
                        var low0 = Vector512.Load(tile);
                        var low1 = Vector512.Load(tile + 64);
                        var high = Vector512.Load(tile + Q6_KAmxLayout.HighBitsOffset);
                        isum += Simd512.DotU8I8(Q6_KAmxLayout.Line(low0, high, 0), Vector512.Create(a[0]).AsSByte());
                        isum += Simd512.DotU8I8(Q6_KAmxLayout.Line(low0, high, 1), Vector512.Create(a[1]).AsSByte());
                        isum += Simd512.DotU8I8(Q6_KAmxLayout.Line(low1, high, 2), Vector512.Create(a[2]).AsSByte());
                        isum += Simd512.DotU8I8(Q6_KAmxLayout.Line(low1, high, 3), Vector512.Create(a[3]).AsSByte());
                        isum -= Vector512.Create(Q6_KAmxLayout.Offset * Q8_KFormat.SubBlockSum(activation, s, j, L.SubBlockElements));
                    }
                    else
                        for (int pair = 0; pair < L.SubBlockElements / 8; pair++)
                        {
                            var (low, high) = IQ4_XSAmxLayout.Lines(Vector512.Load(tile + 64 * pair));
                            isum += Simd512.DotI8(low, Vector512.Create(a[2 * pair]).AsSByte());
                            isum += Simd512.DotI8(high, Vector512.Create(a[2 * pair + 1]).AsSByte());
                        }
                    sumi += Scales(L, tile) * isum;
                }
                acc = SuperBlock(acc, sumi, Q8_KFormat.Scale(activation, s), Simd512.LoadHalves(first + L.DOffset));
            }
            acc.Store(y + p * Panel);
        }
    }

    private static Vector512<int> Scales(in Layout L, byte* tile) => Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)(tile + L.ScalesOffset)));

    private static float SuperBlock(in Layout L, float acc, int sumi, float dy, byte* tile, int row) =>
        MathF.FusedMultiplyAdd(sumi, (float)((Half*)(tile + L.DOffset))[row] * dy, acc);

    private static Vector512<float> SuperBlock(Vector512<float> acc, Vector512<int> sumi, float dy, Vector512<float> d) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sumi), d * Vector512.Create(dy), acc);
}
