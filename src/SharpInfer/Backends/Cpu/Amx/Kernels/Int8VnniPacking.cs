namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// Packs int8 weights W (N rows × K, row-major; output column n is weight row n) into tiles in
/// ggml's VNNI order: 16-row panels, K in steps of 64, each tile {k/4 = 16, n = 16, 4} = 1024 bytes,
/// laid out {panel, k step, tile}. Rows past N are zero so partial panels need no special case.
/// </summary>
internal static class Int8VnniPacking
{
    public const int PanelRows = 16, KStep = 64, TileBytes = PanelRows * KStep;

    public static int Panels(int n) => (n + PanelRows - 1) / PanelRows;

    public static long PackedBytes(int n, int k) => (long)Panels(n) * (k / KStep) * TileBytes;

    public static byte[] Pack(ReadOnlySpan<sbyte> w, int n, int k)
    {
        if (k % KStep != 0) throw new ArgumentException($"K = {k} must be a multiple of {KStep}");
        if (w.Length < (long)n * k) throw new ArgumentException("weights shorter than N×K");
        int kSteps = k / KStep;
        var packed = new byte[PackedBytes(n, k)];
        for (int p = 0; p < Panels(n); p++)
            for (int s = 0; s < kSteps; s++)
            {
                int tile = (p * kSteps + s) * TileBytes;
                for (int nn = 0; nn < PanelRows && p * PanelRows + nn < n; nn++)
                {
                    var row = w.Slice((p * PanelRows + nn) * k + s * KStep, KStep);
                    for (int kk = 0; kk < KStep; kk++)
                        packed[tile + (kk / 4) * 64 + nn * 4 + (kk % 4)] = (byte)row[kk];
                }
            }
        return packed;
    }
}
