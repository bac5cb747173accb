using SharpInfer.Platform.X64;

namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// Detects AMX and, on Linux, requests tile permission for the process (once; the grant is
/// process-wide and permanent). Every "no" comes with a one-line reason.
/// </summary>
public static class AmxSupport
{
    private static readonly Lazy<AmxStatus> Cached = new(Detect);

    /// <summary>The detection result for this process; the Linux permission request runs on first use.</summary>
    public static AmxStatus Status => Cached.Value;

    private static AmxStatus Detect()
    {
        var cpu = AmxCpuFacts.Query();
        var os = OperatingSystem.IsLinux() ? OsKind.Linux : OperatingSystem.IsWindows() ? OsKind.Windows : OsKind.Other;
        return Decide(cpu, os, new LiveOsProbe());
    }

    internal enum OsKind { Linux, Windows, Other }

    /// <summary>The OS questions, separable so each refusal path is testable without the hardware.</summary>
    internal interface IOsProbe
    {
        (ulong Mask, int Errno) LinuxSupportedFeatures();
        int LinuxRequestTileData();
        /// <summary>The calling thread's alternate signal stack size, for the ENOSPC message.</summary>
        long LinuxAltStackBytes();
        /// <summary>XCR0, or null when the OS does not enable XSAVE.</summary>
        ulong? WindowsXcr0();
    }

    internal static AmxStatus Decide(AmxCpuFacts cpu, OsKind os, IOsProbe probe)
    {
        if (!cpu.IsX64) return AmxStatus.Unavailable("not x86-64");
        if (!cpu.Int8) return AmxStatus.Unavailable("CPU has no AMX-INT8", cpu.Int8, cpu.Bf16);
        if (!cpu.Tile) return AmxStatus.Unavailable("CPU has no AMX-TILE", cpu.Int8, cpu.Bf16);

        const ulong tileBits = (1UL << 17) | (1UL << LinuxTilePermission.XfeatureXtiledata);
        switch (os)
        {
            case OsKind.Linux:
            {
                var (mask, errno) = probe.LinuxSupportedFeatures();
                if (errno != 0) return AmxStatus.Unavailable(LinuxTilePermission.DescribeQueryFailure(errno), cpu.Int8, cpu.Bf16);
                if ((mask & tileBits) != tileBits)
                    return AmxStatus.Unavailable($"kernel does not offer AMX tile state (xfeatures 0x{mask:x})", cpu.Int8, cpu.Bf16);
                int refused = probe.LinuxRequestTileData();
                if (refused != 0) return AmxStatus.Unavailable(LinuxTilePermission.DescribeRefusal(refused, refused == 28 ? probe.LinuxAltStackBytes() : -1), cpu.Int8, cpu.Bf16);
                return new AmxStatus(true, cpu.Int8, cpu.Bf16, null);
            }
            case OsKind.Windows:
            {
                // Windows needs no request, but the OS must save tile state (XCR0 bits 17 and 18).
                ulong? xcr0 = probe.WindowsXcr0();
                if (xcr0 is null) return AmxStatus.Unavailable("OS does not enable XSAVE", cpu.Int8, cpu.Bf16);
                if ((xcr0.Value & tileBits) != tileBits)
                    return AmxStatus.Unavailable($"OS does not enable AMX tile state (XCR0 0x{xcr0.Value:x})", cpu.Int8, cpu.Bf16);
                return new AmxStatus(true, cpu.Int8, cpu.Bf16, null);
            }
            default:
                return AmxStatus.Unavailable("OS has no known way to enable AMX (only Linux and Windows)", cpu.Int8, cpu.Bf16);
        }
    }

    private sealed class LiveOsProbe : IOsProbe
    {
        public (ulong Mask, int Errno) LinuxSupportedFeatures() => LinuxTilePermission.QuerySupported();
        public int LinuxRequestTileData() => LinuxTilePermission.RequestTileData();
        public long LinuxAltStackBytes() => LinuxTilePermission.CurrentAltStackBytes();
        public ulong? WindowsXcr0() => ReadXcr0();
    }

    /// <summary>XCR0 via an emitted <c>xgetbv</c> (.NET exposes none), or null without OSXSAVE.</summary>
    internal static unsafe ulong? ReadXcr0()
    {
        var (_, _, ecx, _) = System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0);
        if ((ecx & (1 << 27)) == 0) return null;
        var cc = X64Abi.Native;
        var e = new X64Emitter();
        e.Mov(Reg.R8, cc.IntArgs[0]);       // the out pointer; xgetbv clobbers rdx
        e.MovImm32(Reg.Rcx, 0);
        e.Xgetbv();
        e.Store(Mem.At(Reg.R8), Reg.Rax, wide: false);
        e.Store(Mem.At(Reg.R8, 4), Reg.Rdx, wide: false);
        e.Ret();
        using var code = new ExecutableCode(e.ToArray());
        ulong value = 0;
        ((delegate* unmanaged<ulong*, void>)code.Entry)(&value);
        return value;
    }
}
