using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One activation row times 4-bit weights in ggml's AMX layout without tiles (ggml serves M = 1 with
/// its AVX512-VNNI kernels over the same packed bytes): Q4_0 × Q8_0 and Q4_1 × Q8_1. Same arithmetic
/// as the tile path: exact int32 block sums (Q4_0: Σ (nibble − 8)·a, which ggml computes as
/// Σ nibble·a − 8·Σ a, the same integer; Q4_1: Σ nibble·a), then per block
/// <c>C = fma(isum, d_w·d_a, C)</c> and for Q4_1 <c>C = fma(m_w, s_a, C)</c>, so both paths give the same bits.
/// The AVX-512 path takes a panel's 16 rows per register: unsigned nibbles times signed activations
/// (VPMADDUBSW, VPMADDWD), Q4_0's −8 as −8·Σa per block; the same integers, the same fused adds.
/// </summary>
internal static unsafe class Q4AmxGemv
{
    private const int Panel = 16, Block = AmxNibbleTile.BlockElements;

    /// <summary><c>y[r] = W[r] · x</c> for weight rows [<paramref name="r0"/>, <paramref name="r1"/>), multiples of 16.</summary>
    public static void Multiply(GgmlType type, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (AmxVnniGemv.IsAvailable) AmxVnniGemv.Multiply(type, packed, k, activation, y, r0, r1);
        else if (Avx512BW.IsSupported) MultiplyAvx512(type, packed, k, activation, y, r0, r1);
        else MultiplyScalar(type, packed, k, activation, y, r0, r1);
    }

    internal static void MultiplyAvx512(GgmlType type, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        var (q4_1, tileBytes, scales, offset, actBlockBytes, actQuants) = Layout.Of(type);
        int kb = k / Block;
        long panelBytes = (long)kb * tileBytes;
        // offset·Σa per block, once for all panels
        int* correction = stackalloc int[kb];
        for (int b = 0; b < kb; b++)
        {
            sbyte* a = (sbyte*)(activation + (long)b * actBlockBytes + actQuants);
            int sum = 0;
            for (int e = 0; e < Block; e++) sum += a[e];
            correction[b] = offset * sum;
        }
        var low = Vector512.Create((byte)0x0F);
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            var acc = Vector512<float>.Zero;
            byte* tile = packed + p * panelBytes;
            for (int b = 0; b < kb; b++, tile += tileBytes)
            {
                byte* block = activation + (long)b * actBlockBytes;
                int* a = (int*)(block + actQuants);
                var isum = Vector512<int>.Zero;
                for (int pair = 0; pair < Block / 8; pair++)
                {
                    var q = Vector512.Load(tile + pair * 64);
                    isum += Simd512.DotU8I8(q & low, Vector512.Create(a[2 * pair]).AsSByte());
                    isum += Simd512.DotU8I8(Vector512.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & low, Vector512.Create(a[2 * pair + 1]).AsSByte());
                }
                isum -= Vector512.Create(correction[b]);
                var scale = Simd512.LoadHalves(tile + scales) * Vector512.Create((float)*(Half*)block);
                acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(isum), scale, acc);
                if (q4_1)
                    acc = Avx512F.FusedMultiplyAdd(Simd512.LoadHalves(tile + Q4_1AmxLayout.MinsOffset), Vector512.Create((float)*(Half*)(block + 2)), acc);
            }
            acc.Store(y + p * Panel);
        }
    }

    internal static void MultiplyScalar(GgmlType type, byte* packed, int k, byte* activation, float* y, int r0, int r1)
    {
        if (r0 % Panel != 0 || r1 % Panel != 0) throw new ArgumentException($"rows [{r0}, {r1}) must fall on {Panel}-row panels");
        var (q4_1, tileBytes, scales, offset, actBlockBytes, actQuants) = Layout.Of(type);
        int kb = k / Block;
        long panelBytes = (long)kb * tileBytes;
        float* acc = stackalloc float[Panel];
        for (int p = r0 / Panel; p < r1 / Panel; p++)
        {
            for (int j = 0; j < Panel; j++) acc[j] = 0f;
            byte* tile = packed + p * panelBytes;
            for (int b = 0; b < kb; b++, tile += tileBytes)
            {
                byte* block = activation + (long)b * actBlockBytes;
                float da = (float)*(Half*)block;
                sbyte* a = (sbyte*)(block + actQuants);
                Half* dw = (Half*)(tile + scales);
                for (int j = 0; j < Panel; j++)
                {
                    // byte pair·64 + j·4 + i: element 8·pair + i in the low nibble, 8·pair + 4 + i in the high one
                    byte* q = tile + j * 4;
                    int isum = 0;
                    for (int pair = 0; pair < Block / 8; pair++, q += 64)
                    {
                        sbyte* a0 = a + 8 * pair;
                        for (int i = 0; i < 4; i++)
                            isum += ((q[i] & 0xF) - offset) * a0[i] + ((q[i] >> 4) - offset) * a0[4 + i];
                    }
                    acc[j] = MathF.FusedMultiplyAdd(isum, (float)dw[j] * da, acc[j]);
                    if (q4_1)
                        acc[j] = MathF.FusedMultiplyAdd((float)((Half*)(tile + Q4_1AmxLayout.MinsOffset))[j], (float)*(Half*)(block + 2), acc[j]);
                }
            }
            for (int j = 0; j < Panel; j++) y[p * Panel + j] = acc[j];
        }
    }

    /// <summary>Where a tile keeps its scales and what the activation blocks look like, per 4-bit type.</summary>
    private readonly record struct Layout(bool Q4_1, int TileBytes, int Scales, int Offset, int ActBlockBytes, int ActQuants)
    {
        public static Layout Of(GgmlType type) => type switch
        {
            GgmlType.Q4_0 => new(false, Q4_0AmxLayout.TileBytes, Q4_0AmxLayout.ScalesOffset, Q4_0AmxLayout.Offset, 34, 2),  // block_q8_0: d, qs
            GgmlType.Q4_1 => new(true, Q4_1AmxLayout.TileBytes, Q4_1AmxLayout.ScalesOffset, 0, 36, 4),                       // block_q8_1: d, s, qs
            _ => throw new ArgumentException($"no 4-bit AMX layout for {type}"),
        };
    }
}
