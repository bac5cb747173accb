using System.Runtime.InteropServices;

namespace SharpInfer.Backends.Cpu.Amx.Kernels;

/// <summary>
/// The single argument of an emitted tile-GEMM program (passed by pointer, so System V and
/// Windows differ only in which register carries it). Offsets are part of the emitted code.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TileGemmArgs
{
    /// <summary>First A byte of the block's first K step; rows are <see cref="Lda"/> apart.</summary>
    public byte* A;
    public long Lda;
    /// <summary>First B tile (VNNI, 64-byte rows) of column panel 0 and of panel 1.</summary>
    public byte* B0;
    public byte* B1;
    /// <summary>Bytes from one K step to the next in A and in B.</summary>
    public long AStep;
    public long BStep;
    /// <summary>Int32 output, rows <see cref="Ldc"/> bytes apart; per-step slices <see cref="CStep"/> apart.</summary>
    public int* C;
    public long Ldc;
    public long CStep;
    /// <summary>Number of K steps, at least 1.</summary>
    public long KSteps;

    public const int OffA = 0, OffLda = 8, OffB0 = 16, OffB1 = 24, OffAStep = 32, OffBStep = 40,
        OffC = 48, OffLdc = 56, OffCStep = 64, OffKSteps = 72;
}
