using System.Runtime.Intrinsics.X86;

namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>Which implementation of the repacked kernels runs.</summary>
public enum RepackKernelPath
{
    Scalar,
    Avx2,
    Avx512,
}

public static class RepackKernelPaths
{
    /// <summary>The widest path this CPU runs, chosen once.</summary>
    public static RepackKernelPath Best { get; } =
        Avx512BW.IsSupported ? RepackKernelPath.Avx512 : Avx2.IsSupported ? RepackKernelPath.Avx2 : RepackKernelPath.Scalar;

    public static bool IsSupported(RepackKernelPath path) => path switch
    {
        RepackKernelPath.Scalar => true,
        RepackKernelPath.Avx2 => Avx2.IsSupported,
        RepackKernelPath.Avx512 => Avx512BW.IsSupported,
        _ => false,
    };
}
