using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpInfer.Bench;

/// <summary>
/// The memory read bandwidth generation is held to: <c>threads</c> threads each read their contiguous share of a
/// 1 GiB buffer (far past any cache) front to back with vector loads, as one row-at-a-time weight stream does; the
/// best of a few passes. Measured between the runtimes' repetitions, so a tg result and the bandwidth it is compared
/// with come from the same minutes (on a shared host both move by 20% and more).
/// </summary>
public sealed unsafe class ReadBandwidth : IDisposable
{
    private const long Bytes = 1L << 30;
    private byte* _buffer;
    private readonly int _threads;

    public ReadBandwidth(int threads)
    {
        _threads = Math.Max(1, threads);
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 4096);
        // written once: untouched pages would all read the kernel's shared zero page
        for (long i = 0; i < Bytes; i += 4096) _buffer[i] = (byte)i;
    }

    /// <summary>Best of <paramref name="passes"/> passes, in GB/s (10^9 bytes per second).</summary>
    public double Measure(int passes = 3)
    {
        double best = 0;
        for (var p = 0; p < passes; p++) best = Math.Max(best, Pass());
        return best;
    }

    private double Pass()
    {
        long share = Bytes / _threads & ~255L;
        using var start = new Barrier(_threads + 1);
        using var done = new CountdownEvent(_threads);
        var sinks = new long[_threads];
        for (var t = 0; t < _threads; t++)
        {
            var index = t;
            var thread = new Thread(() =>
            {
                start.SignalAndWait();
                sinks[index] = Read(_buffer + index * share, share);
                done.Signal();
            }) { IsBackground = true };
            thread.Start();
        }
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        done.Wait();
        var seconds = clock.Elapsed.TotalSeconds;
        GC.KeepAlive(sinks);
        return share * _threads / seconds / 1e9;
    }

    private static long Read(byte* p, long bytes)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<long> a = default, b = default, c = default, d = default;
            for (long i = 0; i < bytes; i += 256)
            {
                a ^= Vector512.Load((long*)(p + i));
                b ^= Vector512.Load((long*)(p + i + 64));
                c ^= Vector512.Load((long*)(p + i + 128));
                d ^= Vector512.Load((long*)(p + i + 192));
            }
            return Vector512.Sum(a ^ b ^ c ^ d);
        }
        Vector256<long> e = default, f = default;
        for (long i = 0; i < bytes; i += 64)
        {
            e ^= Vector256.Load((long*)(p + i));
            f ^= Vector256.Load((long*)(p + i + 32));
        }
        return Vector256.Sum(e ^ f);
    }

    public void Dispose()
    {
        if (_buffer != null) NativeMemory.AlignedFree(_buffer);
        _buffer = null;
    }
}
