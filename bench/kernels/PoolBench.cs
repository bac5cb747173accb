using System.Diagnostics;
using SharpInfer.Numerics.Threading;

/// <summary>Cost of one WorkerPool.Run with a trivial job (publish, wake, claim, wait), best and median over many runs.</summary>
internal static class PoolBench
{
    private struct Nop : IParallelJob
    {
        public readonly void Execute(int start, int end) { }
    }

    public static void Run()
    {
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            var job = new Nop();
            for (int i = 0; i < 1000; i++) pool.Run(ref job, 64);
            var times = new double[20000];
            for (int i = 0; i < times.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                pool.Run(ref job, 64);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            Array.Sort(times);
            Console.WriteLine($"pool threads {threads}: Run best {times[0]:F2} µs, median {times[times.Length / 2]:F2} µs, p90 {times[times.Length * 9 / 10]:F2} µs");
        }
    }
}
