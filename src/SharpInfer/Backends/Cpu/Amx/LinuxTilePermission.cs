using System.Runtime.InteropServices;

namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>
/// Linux hands out AMX tile state per process on request: arch_prctl(ARCH_REQ_XCOMP_PERM,
/// XFEATURE_XTILEDATA) (Linux 5.16+). Until granted, the first tile instruction kills the process
/// with SIGILL. The kernel refuses with ENOSPC when any thread's alternate signal stack is too
/// small for the 8 KiB of tile state — and the .NET runtime installs alternate signal stacks on
/// its threads — so that refusal is expected and reported, never ignored.
/// </summary>
internal static class LinuxTilePermission
{
    private const long SysArchPrctl = 158;
    private const long ArchGetXcompSupp = 0x1021;
    private const long ArchReqXcompPerm = 0x1023;
    internal const int XfeatureXtiledata = 18;

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe long syscall(long number, long arg1, ulong* arg2);

    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")]
    private static extern long syscall2(long number, long arg1, long arg2);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int sigaltstack(void* ss, void* oldSs);

    /// <summary>This thread's alternate signal stack size in bytes (0 when none), or -1 if unknown.
    /// .NET 10 installs 16 KiB stacks; AMX signal frames need roughly 12 KiB.</summary>
    public static unsafe long CurrentAltStackBytes()
    {
        byte* stackT = stackalloc byte[24]; // stack_t: ss_sp, ss_flags, ss_size
        if (sigaltstack(null, stackT) != 0) return -1;
        return (*(int*)(stackT + 8) & 2) != 0 ? 0 : (long)*(ulong*)(stackT + 16); // SS_DISABLE = 2
    }

    /// <summary>The kernel's supported xfeatures mask, or the errno of the failed query.</summary>
    public static unsafe (ulong Mask, int Errno) QuerySupported()
    {
        ulong mask = 0;
        long rc = syscall(SysArchPrctl, ArchGetXcompSupp, &mask);
        return rc == 0 ? (mask, 0) : (0, Marshal.GetLastPInvokeError());
    }

    /// <summary>Asks for XTILEDATA; 0 on success, otherwise the errno.</summary>
    public static int RequestTileData()
    {
        long rc = syscall2(SysArchPrctl, ArchReqXcompPerm, XfeatureXtiledata);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>One line for a failed ARCH_GET_XCOMP_SUPP.</summary>
    public static string DescribeQueryFailure(int errno) => errno switch
    {
        22 => "kernel does not support AMX state (ARCH_GET_XCOMP_SUPP: EINVAL; Linux 5.16+ needed)",
        _ => $"kernel AMX query failed (ARCH_GET_XCOMP_SUPP: errno {errno})",
    };

    /// <summary>One line for a refused ARCH_REQ_XCOMP_PERM.</summary>
    public static string DescribeRefusal(int errno, long altStackBytes = -1) => "kernel refused XTILEDATA permission: " + errno switch
    {
        28 => "ENOSPC (an alternate signal stack of a thread in this process is too small for tile state; " +
              "the .NET runtime installs such stacks" +
              (altStackBytes >= 0 ? $", this thread's is {altStackBytes} bytes)" : ")"),
        1 => "EPERM (tile permission was locked for this process)",
        22 => "EINVAL (kernel does not know XTILEDATA; Linux 5.16+ needed)",
        95 => "EOPNOTSUPP (kernel has AMX disabled)",
        12 => "ENOMEM",
        _ => $"errno {errno}",
    };
}
