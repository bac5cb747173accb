using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Platform.X64;

namespace SharpInfer.Tests.Amx;

/// <summary>Emitted non-AMX code runs on this machine through function pointers (x86-64 only).</summary>
public sealed unsafe class NativeExecutionTests
{
    [Fact]
    public void AddsTwoInts()
    {
        using var code = new ExecutableCode(SampleFunctions.AddInts(X64Abi.Native));
        var add = (delegate* unmanaged<int, int, int>)code.Entry;
        Assert.Equal(5, add(2, 3));
        Assert.Equal(int.MinValue, add(int.MaxValue, 1)); // 32-bit wrap-around
        Assert.Equal(-7, add(-10, 3));
    }

    [Fact]
    public void SumsAnArrayInALoop()
    {
        using var code = new ExecutableCode(SampleFunctions.SumInts(X64Abi.Native));
        var sum = (delegate* unmanaged<int*, long, int>)code.Entry;
        var data = new int[1000];
        var rng = new Random(1);
        int expected = 0;
        for (int i = 0; i < data.Length; i++) { data[i] = rng.Next(-1_000_000, 1_000_000); expected += data[i]; }
        fixed (int* p = data)
        {
            Assert.Equal(expected, sum(p, data.Length));
            Assert.Equal(data[0], sum(p, 1));
            Assert.Equal(0, sum(p, 0));
        }
    }

    [Fact]
    public void ScalesLongsInPlace()
    {
        using var code = new ExecutableCode(SampleFunctions.ScaleLongs(X64Abi.Native));
        var scale = (delegate* unmanaged<long*, long, long, void>)code.Entry;
        var data = new long[] { 1, -2, 3, long.MaxValue / 2, 5 };
        var expected = new long[data.Length];
        for (int i = 0; i < data.Length; i++) expected[i] = unchecked(data[i] * -3 + i);
        fixed (long* p = data) scale(p, data.Length, -3);
        Assert.Equal(expected, data);
    }
}
