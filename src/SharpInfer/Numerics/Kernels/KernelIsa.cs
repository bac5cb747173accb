using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Numerics.Kernels;

/// <summary>The instruction-set level a kernel is written for.</summary>
public enum KernelIsa
{
    /// <summary>The portable scalar code (ggml's <c>_generic</c> functions); the reference every vector path is tested against.</summary>
    Scalar,
    /// <summary>256-bit AVX2 + FMA (AVX-VNNI's VPDPBUSD where the CPU has it).</summary>
    Avx2,
    /// <summary>512-bit AVX-512 F/BW/DQ (VL for the 256-bit helpers).</summary>
    Avx512,
}

/// <summary>
/// Which <see cref="KernelIsa"/> this process runs: decided once at start-up from the JIT's <c>IsSupported</c>
/// answers. The environment variable <c>SHARPINFER_KERNELS</c> = <c>scalar</c>, <c>avx2</c> or <c>avx512</c> caps the
/// level (e.g. to compare with a llama.cpp build for an older ISA); it never raises it above what the CPU has.
/// </summary>
public static class CpuKernels
{
    /// <summary>The best level this CPU supports. Read-only after start-up, so the JIT folds switches on it.</summary>
    public static readonly KernelIsa Best = Detect();

    /// <summary>Whether kernels written for <paramref name="isa"/> can run on this CPU.</summary>
    public static bool IsAvailable(KernelIsa isa) => isa switch
    {
        KernelIsa.Scalar => true,
        KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        KernelIsa.Avx512 => Avx2.IsSupported && Fma.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported
                            && Avx512DQ.IsSupported && Avx512F.VL.IsSupported && Avx512BW.VL.IsSupported,
        _ => false,
    };

    /// <summary>All levels this CPU can run, scalar first (tests walk them to check every vector path against its twin).</summary>
    public static IReadOnlyList<KernelIsa> Available { get; } = BuildAvailable();

    private static KernelIsa Detect()
    {
        var best = IsAvailable(KernelIsa.Avx512) ? KernelIsa.Avx512 : IsAvailable(KernelIsa.Avx2) ? KernelIsa.Avx2 : KernelIsa.Scalar;
        var cap = Environment.GetEnvironmentVariable("SHARPINFER_KERNELS")?.Trim().ToLowerInvariant() switch
        {
            "scalar" => KernelIsa.Scalar,
            "avx2" => KernelIsa.Avx2,
            _ => KernelIsa.Avx512,
        };
        return cap < best ? cap : best;
    }

    private static KernelIsa[] BuildAvailable()
    {
        var list = new List<KernelIsa>();
        foreach (var isa in new[] { KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512 })
            if (IsAvailable(isa)) list.Add(isa);
        return list.ToArray();
    }

    internal static void Require(KernelIsa isa)
    {
        if (!IsAvailable(isa)) throw new PlatformNotSupportedException($"this CPU cannot run {isa} kernels");
    }
}
