using SharpInfer.Platform.X64;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>The interpreter agrees with the real CPU on emitted non-AMX code, for both conventions.</summary>
public sealed unsafe class InterpreterTests
{
    public static TheoryData<string> Conventions() => new() { "SystemV", "Windows" };
    private static X64Abi Cc(string name) => name == "Windows" ? X64Abi.Windows : X64Abi.SystemV;

    [Theory]
    [MemberData(nameof(Conventions))]
    public void AddsLikeTheCpu(string convention)
    {
        var code = SampleFunctions.AddInts(Cc(convention));
        var vm = new X64Interpreter();
        Assert.Equal(5u, vm.Call(code, Cc(convention), 2, 3));
        Assert.Equal(0x8000_0000u, vm.Call(code, Cc(convention), int.MaxValue, 1)); // 32-bit result zero-extended
    }

    [Theory]
    [MemberData(nameof(Conventions))]
    public void RunsTheSumLoop(string convention)
    {
        var data = new int[257];
        var rng = new Random(3);
        int expected = 0;
        for (int i = 0; i < data.Length; i++) { data[i] = rng.Next(); expected = unchecked(expected + data[i]); }
        var code = SampleFunctions.SumInts(Cc(convention));
        fixed (int* p = data)
        {
            var vm = new X64Interpreter();
            Assert.Equal((uint)expected, vm.Call(code, Cc(convention), (ulong)p, (ulong)data.Length));
            Assert.Equal(0u, vm.Call(code, Cc(convention), (ulong)p, 0));
        }
    }

    [Fact]
    public void ScaleLoopMatchesNativeExecution()
    {
        var cc = X64Abi.Native;
        var code = SampleFunctions.ScaleLongs(cc);
        long[] viaVm = [3, -5, long.MinValue, 17, 1L << 40];
        long[] viaCpu = (long[])viaVm.Clone();
        fixed (long* p = viaVm) new X64Interpreter().Call(code, cc, (ulong)p, (ulong)viaVm.Length, unchecked((ulong)-7L));
        using var exe = new SharpInfer.Platform.X64.ExecutableCode(code);
        fixed (long* p = viaCpu) ((delegate* unmanaged<long*, long, long, void>)exe.Entry)(p, viaCpu.Length, -7);
        Assert.Equal(viaCpu, viaVm);
    }

    [Fact]
    public void RefusesBytesOutsideTheSubset()
    {
        var vm = new X64Interpreter();
        Assert.Throws<NotSupportedException>(() => vm.Call([0x0F, 0x01, 0xD0, 0xC3], X64Abi.SystemV)); // xgetbv
    }
}
