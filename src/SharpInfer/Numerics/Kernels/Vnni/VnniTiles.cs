using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Platform.X64;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// The emitted VNNI tile kernels (<see cref="VnniTileKernel"/>) as the matmul uses them: whether this CPU runs them,
/// the code (emitted on first use, kept for the process), and the call that turns 16 accumulators into outputs.
/// Set <c>SHARPINFER_VNNI=0</c> to run the intrinsic kernels instead (same results, bit for bit).
/// </summary>
internal static unsafe class VnniTiles
{
    public const int Rows = VnniTileKernel.Rows;

    /// <summary>AVX512_VNNI with VL (CPUID.7.0:ECX[11]) on an AVX-512 process, on an OS whose executable pages we can make.</summary>
    public static readonly bool IsAvailable = Detect();

    private static readonly ExecutableCode?[] s_code = new ExecutableCode?[64];
    private static readonly ExecutableCode?[] s_columnCode = new ExecutableCode?[64];

    public static bool Supports(GgmlType t) => IsAvailable && t is GgmlType.Q8_0 or GgmlType.Q4_0;

    /// <summary>
    /// Whether generation (one activation row) takes the VNNI kernel too. Measured on one Zen 4 core, llama-1b: Q4_0
    /// 20.7 t/s against 16.4 for the intrinsic 4-row kernel; Q8_0 12.2–12.9 against 11.2–12.2.
    /// </summary>
    public static bool SupportsColumn(GgmlType t) => IsAvailable && t is GgmlType.Q4_0 or GgmlType.Q8_0;

    /// <summary>The offset c that <see cref="ActivationSide"/> subtracts for weights of type <paramref name="t"/>.</summary>
    public static int SideOffset(GgmlType t) => t == GgmlType.Q8_0 ? 128 : 8;

    private static bool Detect()
    {
        if (Environment.GetEnvironmentVariable("SHARPINFER_VNNI")?.Trim() == "0") return false;
        if (CpuKernels.Best != KernelIsa.Avx512 || !Avx512F.VL.IsSupported || !Environment.Is64BitProcess) return false;
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsWindows())) return false;
        return (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;
    }

    private static void* Entry(ExecutableCode?[] cache, GgmlType t, int activationRows)
    {
        var code = cache[(int)t];
        if (code != null) return code.Entry;
        lock (cache)
        {
            cache[(int)t] ??= new ExecutableCode(VnniTileKernel.Emit(t, X64Abi.Native, activationRows));
            return cache[(int)t]!.Entry;
        }
    }

    /// <summary>
    /// Outputs s[i + j·ss] for weight rows x + i·xs and activation rows y + j·ys (i, j &lt; 4), whose side records
    /// start at side + j·sideStride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(GgmlType t, byte* x, nint xs, byte* y, nint ys, byte* side, nint sideStride, int n, float* s, nint ss)
    {
        var acc = stackalloc Vector256<float>[16];
        var args = new VnniTileArgs
        {
            Weights = x, WeightStride = xs, Activations = y, ActivationStride = ys,
            Side = side, SideStride = sideStride, Blocks = n / 32, Accumulators = (float*)acc,
        };
        ((delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)Entry(s_code, t, Rows))(&args);
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Rows; j++)
                s[i + j * ss] = Simd256.HSum(acc[4 * i + j]);
    }

    /// <summary>Outputs s[0..4) for weight rows x + i·xs against the single activation row y (side record at side).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Column(GgmlType t, byte* x, nint xs, byte* y, byte* side, int n, float* s)
    {
        var acc = stackalloc Vector256<float>[16];
        var args = new VnniTileArgs
        {
            Weights = x, WeightStride = xs, Activations = y, ActivationStride = 0,
            Side = side, SideStride = 0, Blocks = n / 32, Accumulators = (float*)acc,
        };
        ((delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)Entry(s_columnCode, t, 1))(&args);
        s[0] = Simd256.HSum(acc[0]); s[1] = Simd256.HSum(acc[4]); s[2] = Simd256.HSum(acc[8]); s[3] = Simd256.HSum(acc[12]);
    }
}
