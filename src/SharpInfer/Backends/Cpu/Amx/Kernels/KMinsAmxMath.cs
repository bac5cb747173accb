using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The arithmetic of the K-quants with mins — Q4_K in <see cref="Q4_KAmxLayout"/>, Q5_K in <see cref="Q5_KAmxLayout"/> —
/// against Q8_K activations, shared by the tile path (per-step int32 sums from the tile program) and the one-row gemv,
/// so both give the same bits. As ggml's vec_dot, a super-block's sums stay integer: with isum_j = Σ q·a over 32-value
/// sub-block j (q the unsigned quants, 0…15 or 0…31) and sa_j = Σ a (two of the activation's bsums),
/// sumi = Σ_j sc_j·isum_j and summ = Σ_j m_j·sa_j; then per super-block <c>C = fma(sumi, d·d_y, C)</c> and
/// <c>C = fma(dmin·d_y, −summ, C)</c>. (ggml keeps the mins in a second accumulator and its lanes apart until the end;
/// the difference is float rounding.) The tile program sums Σ (q − bias)·a on signed tiles, so isum = sum + bias·sa.
/// </summary>
internal static unsafe class KMinsAmxMath
{
    /// <summary>
    /// Where a type's tile keeps what, and the bias the unpacked tiles of the tile program subtract. Every tile holds the
    /// low four bits of its unsigned quants as <see cref="AmxNibbleTile"/>; <see cref="HighBitsOffset"/> (Q5_K) places
    /// their fifth bits (0: none, Q4_K).
    /// </summary>
    /// <remarks>Tile offsets are within a tile, d and dmin within the packed super-block (eight tiles, then d, then dmin).</remarks>
    internal readonly record struct Layout(int TileBytes, int SuperBlockBytes, int ScalesOffset, int MinsOffset, int DOffset, int DminOffset,
        int Bias, int HighBitsOffset)
    {
        public static readonly Layout Q4_K = new(Q4_KAmxLayout.TileBytes, Q4_KAmxLayout.PackedSuperBlockBytes, Q4_KAmxLayout.ScalesOffset,
            Q4_KAmxLayout.MinsOffset, Q4_KAmxLayout.DOffset, Q4_KAmxLayout.DminOffset, Bias: 8, HighBitsOffset: 0);
        public static readonly Layout Q5_K = new(Q5_KAmxLayout.TileBytes, Q5_KAmxLayout.PackedSuperBlockBytes, Q5_KAmxLayout.ScalesOffset,
            Q5_KAmxLayout.MinsOffset, Q5_KAmxLayout.DOffset, Q5_KAmxLayout.DminOffset, Bias: 16, HighBitsOffset: Q5_KAmxLayout.HighBitsOffset);
    }

    private const int Panel = 16, SubBlock = 32, ActBlock = Q8_KFormat.BlockBytes;

    private static float Half(byte* tile, int offset, int row) => (float)((Half*)(tile + offset))[row];

    /// <summary>
    /// Turns the tile program's per-step sums into C for a block of <paramref name="rows"/> activation rows (rows
    /// <paramref name="rowBytes"/> apart) × <paramref name="cols"/> weight rows (16-row panels <paramref name="panelBytes"/>
    /// apart). <paramref name="sums"/>: 32×32 int32 per step of Σ (q − 8)·a (the tile program's signed nibbles), so
    /// isum = sum + 8·sa.
    /// </summary>
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
                for (int s = 0; s < steps / 8; s++)
                {
                    byte* first = panel + (long)s * L.SuperBlockBytes;
                    int sumi = 0, summ = 0;
                    for (int j = 0; j < 8; j++)
                    {
                        int b = 8 * s + j, sa = Q8_KFormat.SubBlockSum(aRow, s, j, SubBlock);
                        byte* tile = first + (long)j * L.TileBytes;
                        sumi += tile[L.ScalesOffset + r] * (sums[b * 1024 + i * 32 + col] + L.Bias * sa);
                        summ += tile[L.MinsOffset + r] * sa;
                    }
                    acc = SuperBlock(L, acc, sumi, summ, Q8_KFormat.Scale(aRow, s), first, r);
                }
                c[i * ldc + col] = acc;
            }
    }

    internal static void ApplyTileSumsAvx512(in Layout L, byte* aRows, long rowBytes, byte* panels, long panelBytes, int* sums, int steps, int rows,
        int cols, Span<float> c, int ldc)
    {
        if (cols % 16 != 0) throw new ArgumentException($"cols {cols}: the vector path takes whole 16-column panels");
        if (c.Length < (rows - 1) * ldc + cols) throw new ArgumentException("output too small");
        var sc = stackalloc Vector512<int>[8];
        var mn = stackalloc Vector512<int>[8];
        fixed (float* c0 = c)
        {
            for (int i = 0; i < rows; i++)
                for (int col = 0; col < cols; col += 16) Vector512<float>.Zero.Store(c0 + i * ldc + col);
            for (int s = 0; s < steps / 8; s++)
                for (int col = 0; col < cols; col += 16)
                {
                    byte* first = panels + (col / 16) * panelBytes + (long)s * L.SuperBlockBytes;
                    for (int j = 0; j < 8; j++)
                    {
                        sc[j] = Avx512F.ConvertToVector512Int32(Vector128.Load(first + (long)j * L.TileBytes + L.ScalesOffset));
                        mn[j] = Avx512F.ConvertToVector512Int32(Vector128.Load(first + (long)j * L.TileBytes + L.MinsOffset));
                    }
                    var d = Simd512.LoadHalves(first + L.DOffset);
                    var dmin = Simd512.LoadHalves(first + L.DminOffset);
                    for (int i = 0; i < rows; i++)
                    {
                        byte* aRow = aRows + i * rowBytes;
                        var sumi = Vector512<int>.Zero;
                        var summ = Vector512<int>.Zero;
                        for (int j = 0; j < 8; j++)
                        {
                            int sa = Q8_KFormat.SubBlockSum(aRow, s, j, SubBlock);
                            var isum = Vector512.Load(sums + (8 * s + j) * 1024 + i * 32 + col) + Vector512.Create(L.Bias * sa);
                            sumi += sc[j] * isum;
                            summ += mn[j] * Vector512.Create(sa);
                        }
                        float* ci = c0 + i * ldc + col;
                        SuperBlock(Vector512.Load(ci), sumi, summ, Q8_KFormat.Scale(aRow, s), d, dmin).Store(ci);
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
        int steps = k / SubBlock;
        long panelBytes = (long)(steps / 8) * L.SuperBlockBytes;
        for (int p = r0 / Panel; p < r1 / Panel; p++)
            for (int row = 0; row < Panel; row++)
            {
                float acc = 0f;
                for (int s = 0; s < steps / 8; s++)
                {
                    byte* first = packed + p * panelBytes + (long)s * L.SuperBlockBytes;
                    int sumi = 0, summ = 0;
                    for (int j = 0; j < 8; j++)
                    {
                        byte* tile = first + (long)j * L.TileBytes;
                        sbyte* a = (sbyte*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + 32 * j);
                        int isum = 0, sa = Q8_KFormat.SubBlockSum(activation, s, j, SubBlock);
                        if (L.HighBitsOffset == 0)
                        {
                            // byte pair·64 + row·4 + i: element 8·pair + i in the low nibble, 8·pair + 4 + i in the high one
                            for (int pair = 0; pair < 4; pair++)
                                for (int i = 0; i < 4; i++)
                                {
                                    int q = tile[pair * 64 + row * 4 + i];
                                    isum += (q & 0xF) * a[8 * pair + i] + (q >> 4) * a[8 * pair + 4 + i];
                                }
                        }
                        else
                            for (int e = 0; e < SubBlock; e++) isum += Q5_KAmxLayout.Quant(tile, row, e) * a[e];
                        sumi += tile[L.ScalesOffset + row] * isum;
                        summ += tile[L.MinsOffset + row] * sa;
                    }
                    acc = SuperBlock(L, acc, sumi, summ, Q8_KFormat.Scale(activation, s), first, row);
                }
                y[p * Panel + row] = acc;
            }
    }

    internal static void GemvAvx512(in Layout L, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        int steps = k / SubBlock;
        long panelBytes = (long)(steps / 8) * L.SuperBlockBytes;
        var low = Vector512.Create((byte)0x0F);
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            var acc = Vector512<float>.Zero;
            for (int s = 0; s < steps / 8; s++)
            {
                byte* first = packed + p * panelBytes + (long)s * L.SuperBlockBytes;
                var sumi = Vector512<int>.Zero;
                var summ = Vector512<int>.Zero;
                for (int j = 0; j < 8; j++)
                {
                    byte* tile = first + (long)j * L.TileBytes;
                    int* a = (int*)(activation + (long)s * ActBlock + Q8_KFormat.OffQs + 32 * j);
                    var isum = Vector512<int>.Zero;
                    int sa = Q8_KFormat.SubBlockSum(activation, s, j, SubBlock);
                    if (L.HighBitsOffset == 0)
                    {
                        for (int pair = 0; pair < 4; pair++)
                        {
                            var q = Vector512.Load(tile + pair * 64);
                            isum += Simd512.DotU8I8(q & low, Vector512.Create(a[2 * pair]).AsSByte());
                            isum += Simd512.DotU8I8(Vector512.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low, Vector512.Create(a[2 * pair + 1]).AsSByte());
                        }
                    }
                    else
                    {
                        // q in 0…31: u8·s8 pairs stay within int16 (2·31·128), so VPMADDUBSW's product is exact
                        var high = Vector512.Load(tile + L.HighBitsOffset);
                        for (int g = 0; g < SubBlock / 4; g++)
                            isum += Simd512.DotU8I8(Q5_KAmxLayout.Line(Vector512.Load(tile + (g / 2) * 64), high, g), Vector512.Create(a[g]).AsSByte());
                    }
                    sumi += Avx512F.ConvertToVector512Int32(Vector128.Load(tile + L.ScalesOffset)) * isum;
                    summ += Avx512F.ConvertToVector512Int32(Vector128.Load(tile + L.MinsOffset)) * Vector512.Create(sa);
                }
                acc = SuperBlock(acc, sumi, summ, Q8_KFormat.Scale(activation, s),
                    Simd512.LoadHalves(first + L.DOffset), Simd512.LoadHalves(first + L.DminOffset));
            }
            acc.Store(y + p * Panel);
        }
    }

    private static float SuperBlock(in Layout L, float acc, int sumi, int summ, float dy, byte* tile, int row)
    {
        acc = MathF.FusedMultiplyAdd(sumi, Half(tile, L.DOffset, row) * dy, acc);
        return MathF.FusedMultiplyAdd(Half(tile, L.DminOffset, row) * dy, -summ, acc);
    }

    private static Vector512<float> SuperBlock(Vector512<float> acc, Vector512<int> sumi, Vector512<int> summ, float dy,
        Vector512<float> d, Vector512<float> dmin)
    {
        var vdy = Vector512.Create(dy);
        acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sumi), d * vdy, acc);
        return Avx512F.FusedMultiplyAdd(dmin * vdy, Avx512F.ConvertToVector512Single(Vector512<int>.Zero - summ), acc);
    }
}
