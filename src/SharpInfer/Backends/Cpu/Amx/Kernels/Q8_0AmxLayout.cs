namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Q8_0 weights repacked into ggml's AMX layout (ggml-cpu amx/mmq.cpp, pack_B for block_q8_0):
/// 16-row panels, one 608-byte tile per (panel, 32-element block), laid out {panel, block, tile}:
/// bytes 0–511 the quants in VNNI order {k/4 = 8, n = 16, 4}; 512–543 the 16 fp16 scales;
/// 544–607 16 int32 "s8s8 compensation" values Σ_k 128·q[n,k] (used by ggml's AVX512-VNNI path,
/// kept so the bytes are ggml's). Requires N % 16 == 0 and K % 32 == 0, as ggml's AMX buffer does.
/// </summary>
internal static class Q8_0AmxLayout
{
    public const int BlockElements = 32, BlockBytes = 34, PanelRows = 16;
    public const int QuantBytes = PanelRows * BlockElements;        // 512
    public const int ScalesOffset = QuantBytes;                      // 512
    public const int CompensationOffset = ScalesOffset + PanelRows * 2; // 544
    public const int TileBytes = CompensationOffset + PanelRows * 4;    // 608

    public static bool CanPack(int n, int k) => n > 0 && k > 0 && n % PanelRows == 0 && k % BlockElements == 0;

    public static long PackedBytes(int n, int k) => (long)(n / PanelRows) * (k / BlockElements) * TileBytes;

    /// <summary>Repacks N rows of K Q8_0 values (ggml's block_q8_0 rows: fp16 d, 32 int8 quants).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> q8_0Rows, int n, int k)
    {
        if (!CanPack(n, k)) throw new ArgumentException($"AMX Q8_0 layout needs N % 16 == 0 and K % 32 == 0 (N = {n}, K = {k})");
        int kb = k / BlockElements;
        long rowBytes = (long)kb * BlockBytes;
        if (q8_0Rows.Length < n * rowBytes) throw new ArgumentException("weights shorter than N rows of K");
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < n / PanelRows; p++)
            for (int b = 0; b < kb; b++)
            {
                var tile = packed.AsSpan((int)(((long)p * kb + b) * TileBytes), TileBytes);
                for (int nn = 0; nn < PanelRows; nn++)
                {
                    var block = q8_0Rows.Slice((int)((p * PanelRows + nn) * rowBytes + (long)b * BlockBytes), BlockBytes);
                    int comp = 0;
                    for (int kk = 0; kk < BlockElements; kk++)
                    {
                        sbyte q = (sbyte)block[2 + kk];
                        tile[(kk / 4) * 64 + nn * 4 + kk % 4] = (byte)q;
                        comp += 128 * q;
                    }
                    tile[ScalesOffset + 2 * nn] = block[0];
                    tile[ScalesOffset + 2 * nn + 1] = block[1];
                    BitConverter.TryWriteBytes(tile.Slice(CompensationOffset + 4 * nn, 4), comp);
                }
            }
        return packed;
    }
}
