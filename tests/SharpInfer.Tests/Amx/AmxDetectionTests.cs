using SharpInfer.Backends.Cpu.Amx;

namespace SharpInfer.Tests.Amx;

public sealed class AmxDetectionTests
{
    [Fact]
    public void ThisMachineGetsAnAnswerConsistentWithCpuid()
    {
        var status = AmxSupport.Status;
        var cpu = AmxCpuFacts.Query();
        if (!cpu.IsX64) Assert.Equal("not x86-64", status.Reason);
        else if (!cpu.Int8) Assert.Equal("CPU has no AMX-INT8", status.Reason);
        else Assert.True(status.IsAvailable || status.Reason!.StartsWith("kernel"), status.ToString());
        Assert.Equal(status.IsAvailable, status.Reason is null);
        if (!status.IsAvailable) Assert.DoesNotContain('\n', status.Reason!);
    }

    [Fact]
    public void CpuidBitsAreReadFromLeaf7Edx()
    {
        var all = AmxCpuFacts.FromLeaf7Edx((1 << 22) | (1 << 24) | (1 << 25));
        Assert.True(all.Tile && all.Int8 && all.Bf16);
        var int8Only = AmxCpuFacts.FromLeaf7Edx((1 << 24) | (1 << 25));
        Assert.False(int8Only.Bf16);
        Assert.False(AmxCpuFacts.FromLeaf7Edx(1 << 23).Int8);
    }

    [Fact]
    public void LinuxKernelAnswersTheFeatureQuery()
    {
        if (!OperatingSystem.IsLinux() || !AmxCpuFacts.Query().IsX64)
            throw new InvalidOperationException("this test is for x86-64 Linux, where the suite runs");
        var (mask, errno) = LinuxTilePermission.QuerySupported();
        Assert.Equal(0, errno);
        Assert.Equal(3UL, mask & 3UL); // x87 and SSE state are always supported
    }

    [Fact]
    public void DotNetThreadsHaveAnAlternateSignalStackWeCanMeasure()
    {
        // The size the ENOSPC message reports; .NET installs one on every thread it runs managed code on.
        if (!OperatingSystem.IsLinux()) throw new InvalidOperationException("this test is for Linux, where the suite runs");
        long bytes = LinuxTilePermission.CurrentAltStackBytes();
        Assert.True(bytes >= 4096, $"alternate signal stack: {bytes} bytes");
    }

    [Fact]
    public void EmittedXgetbvReadsXcr0()
    {
        // The suite runs on x86-64 with AVX enabled by the OS: x87, SSE and AVX state are in XCR0.
        ulong? xcr0 = AmxSupport.ReadXcr0();
        Assert.NotNull(xcr0);
        Assert.Equal(7UL, xcr0!.Value & 7UL);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, (xcr0.Value & 0xe0) == 0xe0);
    }

    private static readonly AmxCpuFacts FullAmx = new(true, true, true, true);
    private const ulong TileMask = 0x602e7;

    [Fact]
    public void EveryRefusalHasItsOwnOneLineReason()
    {
        Assert.Equal("not x86-64", Decide(new(false, false, false, false), AmxSupport.OsKind.Linux, new Probe()).Reason);
        Assert.Equal("CPU has no AMX-INT8", Decide(new(true, false, false, false), AmxSupport.OsKind.Linux, new Probe()).Reason);
        Assert.StartsWith("kernel does not support AMX state", Decide(FullAmx, AmxSupport.OsKind.Linux, new Probe { QueryErrno = 22 }).Reason);
        Assert.StartsWith("kernel does not offer AMX tile state", Decide(FullAmx, AmxSupport.OsKind.Linux, new Probe { Mask = 0x2e7 }).Reason);

        var enospc = Decide(FullAmx, AmxSupport.OsKind.Linux, new Probe { Mask = TileMask, RequestErrno = 28 });
        Assert.False(enospc.IsAvailable);
        Assert.StartsWith("kernel refused XTILEDATA permission: ENOSPC", enospc.Reason);
        Assert.Contains("signal stack", enospc.Reason);
        Assert.Contains("this thread's is 8192 bytes", enospc.Reason);

        Assert.StartsWith("OS does not enable AMX tile state", Decide(FullAmx, AmxSupport.OsKind.Windows, new Probe { Xcr0 = 0xe7 }).Reason);
        Assert.Equal("OS does not enable XSAVE", Decide(FullAmx, AmxSupport.OsKind.Windows, new Probe { Xcr0 = null }).Reason);
        Assert.StartsWith("OS has no known way", Decide(FullAmx, AmxSupport.OsKind.Other, new Probe()).Reason);
    }

    [Fact]
    public void GrantedPermissionMeansAvailable()
    {
        var probe = new Probe { Mask = TileMask };
        var linux = Decide(FullAmx, AmxSupport.OsKind.Linux, probe);
        Assert.True(linux.IsAvailable);
        Assert.Equal(1, probe.Requests);
        Assert.True(Decide(FullAmx, AmxSupport.OsKind.Windows, new Probe { Xcr0 = 0x602e7 }).IsAvailable);
        // No CPU support: the kernel is never asked.
        var untouched = new Probe { Mask = TileMask };
        Decide(new(true, false, false, false), AmxSupport.OsKind.Linux, untouched);
        Assert.Equal(0, untouched.Requests);
    }

    private static AmxStatus Decide(AmxCpuFacts cpu, AmxSupport.OsKind os, Probe p) => AmxSupport.Decide(cpu, os, p);

    private sealed class Probe : AmxSupport.IOsProbe
    {
        public ulong Mask;
        public int QueryErrno;
        public int RequestErrno;
        public ulong? Xcr0 = 0x602e7;
        public int Requests;
        public (ulong Mask, int Errno) LinuxSupportedFeatures() => (QueryErrno == 0 ? Mask : 0, QueryErrno);
        public int LinuxRequestTileData() { Requests++; return RequestErrno; }
        public long LinuxAltStackBytes() => 8192;
        public ulong? WindowsXcr0() => Xcr0;
    }
}
