using System.Runtime.InteropServices;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels.Vnni;
using SharpInfer.Platform.X64;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Platform;

/// <summary>
/// The emitted vector kernels in the Windows x64 convention, where the low 128 bits of xmm6–xmm15 belong to the caller
/// (the .NET JIT keeps values there across calls): each kernel runs natively here through a System V thunk that loads
/// sentinels into xmm6–xmm15, calls it with its argument in rcx, and stores those registers back. They must come back
/// unchanged, and the kernel's outputs must equal the System V build's on the same inputs.
/// </summary>
public sealed unsafe class WindowsAbiVectorKernelTests(ITestOutputHelper output)
{
    private const int BufferBytes = 1 << 16, SentinelBytes = 10 * 16;

    public static TheoryData<string> Kernels() => new() { "tile Q4_0", "tile Q8_0", "column Q5_0", "pair Q4_0", "pair Q8_0", "Q4_K column", "AMX gemv Q4_0" };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void KeepsXmm6To15AndComputesWhatTheSystemVBuildDoes(string kernel)
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("not run: the thunk that calls Windows-convention code is System V (Linux x64) code");
            return;
        }
        if (!VnniTiles.IsAvailable)
        {
            output.WriteLine($"not run: the VNNI kernels cannot run here ({VnniTiles.UnavailableReason})");
            Assert.False(Environment.GetEnvironmentVariable("SHARPINFER_REQUIRE_VNNI") == "1", "SHARPINFER_REQUIRE_VNNI=1 but no VNNI kernels");
            return;
        }
        var (windows, systemV, args) = Build(kernel);
        using var _ = args;
        using var thunk = new ExecutableCode(Thunk());
        using var win = new ExecutableCode(windows);
        using var sysv = new ExecutableCode(systemV);

        var sentinels = new byte[SentinelBytes];
        new Random(kernel.Length).NextBytes(sentinels);
        var after = new byte[SentinelBytes];
        var (winIn, winOut) = args.Create();
        var (sysIn, sysOut) = args.Create();
        fixed (byte* ps = sentinels) fixed (byte* pa = after)
            ((delegate* unmanaged<void*, byte*, byte*, void*, void>)thunk.Entry)((void*)winIn, ps, pa, win.Entry);
        ((delegate* unmanaged<void*, void>)sysv.Entry)((void*)sysIn);
        Assert.Equal(sentinels, after);
        Assert.Equal(ToArray(sysOut, args.OutputBytes), ToArray(winOut, args.OutputBytes));
        output.WriteLine($"{kernel}: xmm6–xmm15 kept, {args.OutputBytes} output bytes equal to the System V build's");
    }

    /// <summary>void thunk(void* args /*rdi*/, byte* sentinels /*rsi*/, byte* after /*rdx*/, void* kernel /*rcx*/).</summary>
    private static byte[] Thunk()
    {
        var e = new X64Emitter();
        e.Push(Reg.Rdx); // also aligns rsp to 16 for the call
        for (int i = 0; i < 10; i++) e.Vmovdqu32(6 + i, Mem.At(Reg.Rsi, 16 * i), VecWidth.X);
        e.Mov(Reg.Rax, Reg.Rcx);
        e.Mov(Reg.Rcx, Reg.Rdi);
        e.SubImm(Reg.Rsp, 32); // the Windows shadow space
        e.CallIndirect(Reg.Rax);
        e.AddImm(Reg.Rsp, 32);
        e.Pop(Reg.Rdx);
        for (int i = 0; i < 10; i++) e.Vmovdqu32(Mem.At(Reg.Rdx, 16 * i), 6 + i, VecWidth.X);
        e.Ret();
        return e.ToArray();
    }

    private static byte[] ToArray(IntPtr p, int n) => new ReadOnlySpan<byte>((void*)p, n).ToArray();

    private static (byte[] Windows, byte[] SystemV, KernelArgs Args) Build(string kernel)
    {
        const int n = 512;
        return kernel switch
        {
            "tile Q4_0" => (VnniTileKernel.Emit(GgmlType.Q4_0, X64Abi.Windows), VnniTileKernel.Emit(GgmlType.Q4_0, X64Abi.SystemV), KernelArgs.Vnni(n, GgmlType.Q4_0)),
            "tile Q8_0" => (VnniTileKernel.Emit(GgmlType.Q8_0, X64Abi.Windows), VnniTileKernel.Emit(GgmlType.Q8_0, X64Abi.SystemV), KernelArgs.Vnni(n, GgmlType.Q8_0)),
            "column Q5_0" => (VnniTileKernel.Emit(GgmlType.Q5_0, X64Abi.Windows, activationRows: 1),
                VnniTileKernel.Emit(GgmlType.Q5_0, X64Abi.SystemV, activationRows: 1), KernelArgs.Vnni(n, GgmlType.Q5_0)),
            "pair Q4_0" => (VnniPairColumnKernel.Emit(GgmlType.Q4_0, X64Abi.Windows), VnniPairColumnKernel.Emit(GgmlType.Q4_0, X64Abi.SystemV), KernelArgs.Vnni(n, GgmlType.Q4_0)),
            "pair Q8_0" => (VnniPairColumnKernel.Emit(GgmlType.Q8_0, X64Abi.Windows), VnniPairColumnKernel.Emit(GgmlType.Q8_0, X64Abi.SystemV), KernelArgs.Vnni(n, GgmlType.Q8_0)),
            "Q4_K column" => (VnniQ4KColumns.Emit(X64Abi.Windows), VnniQ4KColumns.Emit(X64Abi.SystemV), KernelArgs.Vnni(n, GgmlType.Q4_K)),
            "AMX gemv Q4_0" => (AmxVnniGemv.Emit(GgmlType.Q4_0, X64Abi.Windows), AmxVnniGemv.Emit(GgmlType.Q4_0, X64Abi.SystemV), KernelArgs.Gemv(n)),
            _ => throw new ArgumentException(kernel),
        };
    }

    /// <summary>
    /// One kernel's argument block over random input buffers: each <see cref="Create"/> makes a fresh, identical set
    /// (the same seeds), so the two builds see the same inputs and neither sees what the other wrote.
    /// </summary>
    private sealed class KernelArgs(Func<KernelArgs, IntPtr> fill, Func<IntPtr, IntPtr> outputOf, int outputBytes) : IDisposable
    {
        private readonly List<IntPtr> _buffers = new();
        public int OutputBytes { get; } = outputBytes;

        public (IntPtr Args, IntPtr Output) Create()
        {
            var args = fill(this);
            return (args, outputOf(args));
        }

        public byte* Random(int seed)
        {
            var p = (byte*)NativeMemory.AlignedAlloc(BufferBytes, 64);
            new Random(seed).NextBytes(new Span<byte>(p, BufferBytes));
            _buffers.Add((IntPtr)p);
            return p;
        }

        public void Dispose()
        {
            foreach (var p in _buffers) NativeMemory.AlignedFree((void*)p);
            _buffers.Clear();
        }

        public static KernelArgs Vnni(int n, GgmlType type) => new(k =>
        {
            var a = (VnniTileArgs*)k.Random(1);
            *a = new VnniTileArgs
            {
                Weights = k.Random(2), WeightStride = GgmlTypeInfo.Get(type).RowBytes(n) + 16, Activations = k.Random(3),
                ActivationStride = 4096, Side = k.Random(4), SideStride = 4096, Blocks = type == GgmlType.Q4_K ? n / 256 : n / 32,
                Accumulators = (float*)k.Random(5), PrefetchDistance = 1 << 20,
            };
            return (IntPtr)a;
        }, a => (IntPtr)((VnniTileArgs*)a)->Accumulators, 16 * 32);

        public static KernelArgs Gemv(int k) => new(b =>
        {
            var a = (AmxVnniGemv.Args*)b.Random(1);
            int kb = k / 32;
            *a = new AmxVnniGemv.Args
            {
                Packed = b.Random(2), PanelBytes = (long)kb * Q4_0AmxLayout.TileBytes, Quants = b.Random(3), Scales = (float*)b.Random(4),
                Corrections = (int*)b.Random(5), Sums = (float*)b.Random(6), Output = (float*)b.Random(7), Panels = 2, Blocks = kb,
            };
            return (IntPtr)a;
        }, a => (IntPtr)((AmxVnniGemv.Args*)a)->Output, 2 * 16 * 4);
    }
}
