using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpInfer.Platform.X64;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// The emitted VNNI tile kernels (<see cref="VnniTileKernel"/>) as the matmul uses them: whether this CPU runs them,
/// the code (emitted at start-up, kept for the process), and the call that turns 16 accumulators into outputs.
/// Set <c>SHARPINFER_VNNI=0</c> to run the intrinsic kernels instead (same results, bit for bit).
/// </summary>
internal static unsafe class VnniTiles
{
    public const int Rows = VnniTileKernel.Rows;

    // Declared before UnavailableReason: static initializers run in order, and Detect fills these.
    private static readonly GgmlType[] s_types = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0];
    private static readonly ExecutableCode?[] s_code = new ExecutableCode?[64];
    private static readonly ExecutableCode?[] s_columnCode = new ExecutableCode?[64];
    private static readonly ExecutableCode?[] s_pairColumnCode = new ExecutableCode?[64];

    /// <summary>Why the kernels are not used (null when they are): the CPU, the process, the OS, or the switch.</summary>
    public static readonly string? UnavailableReason = Detect();

    /// <summary>
    /// AVX512_VNNI with VL (CPUID.7.0:ECX[11]) on an AVX-512 process, on an OS that gave us executable pages: every
    /// kernel is emitted and mapped at start-up, so a refusal (W^X policy, SELinux execmem) turns them off instead of
    /// failing a product later.
    /// </summary>
    public static bool IsAvailable => UnavailableReason == null;

    public static bool Supports(GgmlType t) => IsAvailable && t is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0;

    /// <summary>
    /// Whether generation (one activation row) takes the VNNI kernel too. Measured on one Zen 4 core, llama-1b: Q4_0
    /// 20.7 t/s against 16.4 for the intrinsic 4-row kernel; Q8_0 12.2–12.9 against 11.2–12.2.
    /// </summary>
    public static bool SupportsColumn(GgmlType t) => Supports(t);

    /// <summary>Whether generation takes <see cref="PairColumns"/> instead of <see cref="Column"/> (same rows, same bits, fewer operations).</summary>
    public static bool SupportsPairColumn(GgmlType t) => IsAvailable && VnniPairColumnKernel.Supports(t);

    /// <summary>The offset c that <see cref="ActivationSide"/> subtracts for weights of type <paramref name="t"/>.</summary>
    public static int SideOffset(GgmlType t) => t switch { GgmlType.Q8_0 => 128, GgmlType.Q5_0 => 16, _ => 8 };

    private static string? Detect()
    {
        if (Environment.GetEnvironmentVariable("SHARPINFER_VNNI")?.Trim() == "0") return "SHARPINFER_VNNI=0";
        if (CpuKernels.Best != KernelIsa.Avx512 || !Avx512F.VL.IsSupported) return "no AVX-512 (VL) kernels in this process";
        if (!Environment.Is64BitProcess || !(OperatingSystem.IsLinux() || OperatingSystem.IsWindows())) return "not a 64-bit Linux or Windows process";
        if ((X86Base.CpuId(7, 0).Ecx & (1 << 11)) == 0) return "CPU has no AVX512_VNNI";
        try
        {
            foreach (var t in s_types)
            {
                s_code[(int)t] = new ExecutableCode(VnniTileKernel.Emit(t, X64Abi.Native));
                // generation: the pair kernel where it exists (same bits, fewer operations), the 4 × 1 tile form otherwise
                if (VnniPairColumnKernel.Supports(t))
                    s_pairColumnCode[(int)t] = new ExecutableCode(VnniPairColumnKernel.Emit(t, X64Abi.Native));
                else
                    s_columnCode[(int)t] = new ExecutableCode(VnniTileKernel.Emit(t, X64Abi.Native, activationRows: 1));
            }
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return $"executable pages refused: {e.Message}";
        }
    }

    private static void* Entry(ExecutableCode?[] cache, GgmlType t) =>
        (cache[(int)t] ?? throw new InvalidOperationException($"no VNNI kernel for {t}")).Entry;

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
        ((delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)Entry(s_code, t))(&args);
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Rows; j++)
                s[i + j * ss] = Simd256.HSum(acc[4 * i + j]);
    }

    /// <summary>
    /// Outputs s[0..4·groups) for weight rows x + i·xs (<paramref name="groups"/> groups of 4 consecutive rows) against
    /// the single activation row y (side record at side), by the 4 × 1 form of <see cref="VnniTileKernel"/>; the
    /// arguments are set up once for all groups, as <see cref="PairColumns"/> does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Column(GgmlType t, byte* x, nint xs, int groups, byte* y, byte* side, int n, float* s)
    {
        var acc = stackalloc Vector256<float>[16];
        var args = new VnniTileArgs
        {
            Weights = x, WeightStride = xs, Activations = y, ActivationStride = 0,
            Side = side, SideStride = 0, Blocks = n / 32, Accumulators = (float*)acc,
        };
        var kernel = (delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)Entry(s_columnCode, t);
        for (int g = 0; g < groups; g++, s += Rows)
        {
            args.Weights = x + g * Rows * xs;
            kernel(&args);
            s[0] = Simd256.HSum(acc[0]); s[1] = Simd256.HSum(acc[4]); s[2] = Simd256.HSum(acc[8]); s[3] = Simd256.HSum(acc[12]);
        }
    }

    /// <summary>
    /// Outputs s[0..4·groups) for weight rows x + i·xs (<paramref name="groups"/> groups of 4 consecutive rows) against
    /// the single activation row y (side record at side), by <see cref="VnniPairColumnKernel"/>: the arguments are set
    /// up once for all groups (per group a generation product is only a few hundred cycles).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void PairColumns(GgmlType t, byte* x, nint xs, int groups, byte* y, byte* side, int n, float* s)
    {
        var acc = stackalloc Vector256<float>[VnniPairColumnKernel.Rows];
        var args = new VnniTileArgs
        {
            Weights = x, WeightStride = xs, Activations = y, Side = side, Blocks = n / 32, Accumulators = (float*)acc,
            PrefetchDistance = GenerationPrefetch.Distance(GgmlTypeInfo.Get(t).RowBytes(n), xs),
        };
        var kernel = (delegate* unmanaged[SuppressGCTransition]<VnniTileArgs*, void>)Entry(s_pairColumnCode, t);
        bool q4 = t == GgmlType.Q4_0;
        for (int g = 0; g < groups; g++, s += VnniPairColumnKernel.Rows)
        {
            args.Weights = x + g * VnniPairColumnKernel.Rows * xs;
            kernel(&args);
            if (q4)
            {
                // pair p: lanes 0–3 of both rows in acc[2p], lanes 4–7 in acc[2p + 1]; low 128 bits row 2p, high 2p + 1,
                // so row 2p is [acc[2p].lower | acc[2p+1].lower] and acc[2p + 1] holds both rows' upper halves
                for (int p = 0; p < VnniPairColumnKernel.Rows / 2; p++)
                    (s[2 * p], s[2 * p + 1]) = Simd256.HSum2(acc[2 * p + 1], acc[2 * p]);
            }
            else
            {
                (s[0], s[1]) = Simd256.HSumPair(acc[0], acc[1]);
                (s[2], s[3]) = Simd256.HSumPair(acc[2], acc[3]);
            }
        }
    }
}
