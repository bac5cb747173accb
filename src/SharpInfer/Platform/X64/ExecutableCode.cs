using System.Runtime.InteropServices;

namespace SharpInfer.Platform.X64;

/// <summary>
/// Machine code copied into its own pages, written while the pages are read-write and then
/// switched to read-execute (W^X: never writable and executable at once). Dispose frees the pages;
/// calling the code after that is undefined, so owners keep this alive as long as the pointer.
/// </summary>
internal sealed unsafe class ExecutableCode : IDisposable
{
    private void* _pages;
    private readonly nuint _size;

    public ExecutableCode(ReadOnlySpan<byte> code)
    {
        if (code.IsEmpty) throw new ArgumentException("no code", nameof(code));
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("emitted code is x86-64");
        _size = (nuint)((code.Length + 4095) & ~4095);
        _pages = OperatingSystem.IsWindows() ? Windows.Allocate(_size) : Posix.Allocate(_size);
        code.CopyTo(new Span<byte>(_pages, code.Length));
        if (OperatingSystem.IsWindows()) Windows.MakeExecutable(_pages, _size);
        else Posix.MakeExecutable(_pages, _size);
        Length = code.Length;
    }

    /// <summary>Start of the code; cast to a <c>delegate* unmanaged</c> of the emitted signature.</summary>
    public void* Entry => _pages != null ? _pages : throw new ObjectDisposedException(nameof(ExecutableCode));

    public int Length { get; }

    public void Dispose()
    {
        if (_pages == null) return;
        if (OperatingSystem.IsWindows()) Windows.Free(_pages);
        else Posix.Free(_pages, _size);
        _pages = null;
    }

    private static class Posix
    {
        private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
        private const int MapPrivate = 0x02;
        private static int MapAnonymous => OperatingSystem.IsMacOS() ? 0x1000 : 0x20;

        [DllImport("libc", SetLastError = true)] private static extern void* mmap(void* addr, nuint len, int prot, int flags, int fd, nint off);
        [DllImport("libc", SetLastError = true)] private static extern int mprotect(void* addr, nuint len, int prot);
        [DllImport("libc", SetLastError = true)] private static extern int munmap(void* addr, nuint len);

        public static void* Allocate(nuint size)
        {
            void* p = mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (p == (void*)-1) throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
            return p;
        }

        public static void MakeExecutable(void* p, nuint size)
        {
            if (mprotect(p, size, ProtRead | ProtExec) != 0)
                throw new InvalidOperationException($"mprotect(PROT_READ|PROT_EXEC) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        public static void Free(void* p, nuint size) => munmap(p, size);
    }

    private static class Windows
    {
        private const uint MemCommit = 0x1000, MemReserve = 0x2000, MemRelease = 0x8000;
        private const uint PageReadWrite = 0x04, PageExecuteRead = 0x20;

        [DllImport("kernel32", SetLastError = true)] private static extern void* VirtualAlloc(void* addr, nuint size, uint type, uint protect);
        [DllImport("kernel32", SetLastError = true)] private static extern int VirtualProtect(void* addr, nuint size, uint protect, uint* old);
        [DllImport("kernel32", SetLastError = true)] private static extern int VirtualFree(void* addr, nuint size, uint type);
        [DllImport("kernel32", SetLastError = true)] private static extern int FlushInstructionCache(nint process, void* addr, nuint size);
        [DllImport("kernel32")] private static extern nint GetCurrentProcess();

        public static void* Allocate(nuint size)
        {
            void* p = VirtualAlloc(null, size, MemCommit | MemReserve, PageReadWrite);
            if (p == null) throw new InvalidOperationException($"VirtualAlloc failed: error {Marshal.GetLastPInvokeError()}");
            return p;
        }

        public static void MakeExecutable(void* p, nuint size)
        {
            uint old;
            if (VirtualProtect(p, size, PageExecuteRead, &old) == 0)
                throw new InvalidOperationException($"VirtualProtect(PAGE_EXECUTE_READ) failed: error {Marshal.GetLastPInvokeError()}");
            FlushInstructionCache(GetCurrentProcess(), p, size);
        }

        public static void Free(void* p) => VirtualFree(p, 0, MemRelease);
    }
}
