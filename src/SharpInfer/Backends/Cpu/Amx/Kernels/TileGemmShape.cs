namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// One emitted tile-GEMM program: up to 32×32 outputs in ggml's 2-2-4 pattern (A in tmm2/tmm3,
/// B in tmm0/tmm1, C in tmm4–tmm7). Partial blocks shrink the tile shapes instead of padding
/// the data: M0/M1 rows in the two row tiles (M1 = 0: one row tile), N0/N1 columns in the two
/// column tiles (N1 = 0: one column tile; N1 &gt; 0 requires N0 = 16).
/// </summary>
/// <param name="M0">Rows in the first row tile (1–16).</param>
/// <param name="M1">Rows in the second row tile (0–16).</param>
/// <param name="N0">Columns in the first column tile (1–16).</param>
/// <param name="N1">Columns in the second column tile (0–16).</param>
/// <param name="KStepBytes">K bytes per tile step: 64 (int8 GEMM), 32 (one Q8_0 block) or 16 (one Q6_K sub-block).</param>
/// <param name="PerStepOutput">True: every K step gets fresh accumulators stored to its own C slice
/// (so per-block scales can be applied outside the tile product, as ggml does for Q8_0);
/// false: accumulate over all of K and store once.</param>
/// <param name="Dot">Which tile dot product: signed int8 (tdpbssd → int32) or BF16 pairs (tdpbf16ps → fp32).</param>
internal readonly record struct TileGemmShape(int M0, int M1, int N0, int N1, int KStepBytes, bool PerStepOutput,
    TileDot Dot = TileDot.SignedInt8)
{
    public void Validate()
    {
        if (M0 is < 1 or > 16 || M1 is < 0 or > 16 || N0 is < 1 or > 16 || N1 is < 0 or > 16)
            throw new ArgumentException($"invalid tile block {this}");
        if ((M1 > 0 && M0 != 16) || (N1 > 0 && N0 != 16))
            throw new ArgumentException($"second tiles need full first tiles: {this}");
        if (KStepBytes is not (16 or 32 or 64)) throw new ArgumentException("K step must be 16, 32 or 64 bytes");
        if (Dot == TileDot.Bf16 && KStepBytes != 64) throw new ArgumentException("BF16 programs step K by 32 values (64 bytes)");
    }

    public int Rows => M0 + M1;
    public int Cols => N0 + N1;

    /// <summary>The program for a block of <paramref name="rows"/> × <paramref name="cols"/> outputs (each 1–32): full first tiles, the rest in the second.</summary>
    public static TileGemmShape ForBlock(int rows, int cols, int kStepBytes, bool perStepOutput, TileDot dot = TileDot.SignedInt8) =>
        new(Math.Min(16, rows), Math.Max(0, rows - 16), Math.Min(16, cols), Math.Max(0, cols - 16), kStepBytes, perStepOutput, dot);

    /// <summary>Output columns [<paramref name="start"/>, +<paramref name="count"/>) a thread may take: 16-aligned (whole panels) within N.</summary>
    public static void RequireColumnRange(int start, int count, int n)
    {
        if (start < 0 || count < 0 || start % 16 != 0 || count % 16 != 0 || start + count > n)
            throw new ArgumentException($"column range {start}+{count} must be 16-aligned within N = {n}");
    }
}

/// <summary>The tile dot-product instruction a program uses.</summary>
internal enum TileDot
{
    /// <summary>tdpbssd: int8 × int8 → int32, K in groups of 4 (VNNI {k/4, n, 4}).</summary>
    SignedInt8,
    /// <summary>tdpbf16ps: bf16 × bf16 → fp32, K in pairs (VNNI {k/2, n, 2}).</summary>
    Bf16,
}
