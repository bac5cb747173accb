using System.Runtime.InteropServices;
using SharpInfer.Numerics.Threading;

namespace SharpInfer.Models.Compute;

/// <summary>A piece of forward-pass work split into <c>parts</c> independent parts (one per pool thread).</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// Runs <see cref="IParallelWork"/> on the shared <see cref="WorkerPool"/>: each of the pool's threads takes
/// one part. Splitting work this way never changes the arithmetic: each output is computed by exactly one
/// thread, in the same order as with one thread.
/// </summary>
internal static class ParallelWork
{
    /// <summary>Runs every part of <paramref name="work"/> on the pool and returns when all are done; allocates nothing.</summary>
    public static void Run(this WorkerPool pool, IParallelWork work)
    {
        var parts = pool.ThreadCount;
        if (parts == 1)
        {
            work.Execute(0, 1);
            return;
        }
        var handle = GCHandle.Alloc(work);
        try
        {
            var job = new PartsJob { Work = GCHandle.ToIntPtr(handle), Parts = parts };
            pool.Run(ref job, parts);
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>The range [start, end) of <paramref name="count"/> items that <paramref name="part"/> of <paramref name="parts"/> takes, in whole multiples of <paramref name="grain"/>.</summary>
    public static (int Start, int End) Share(int count, int part, int parts, int grain = 1)
    {
        var blocks = (count + grain - 1) / grain;
        var start = (int)((long)blocks * part / parts) * grain;
        var end = (int)((long)blocks * (part + 1) / parts) * grain;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    private struct PartsJob : IParallelJob
    {
        public IntPtr Work;
        public int Parts;

        public readonly void Execute(int start, int end)
        {
            var work = (IParallelWork)GCHandle.FromIntPtr(Work).Target!;
            for (var part = start; part < end; part++) work.Execute(part, Parts);
        }
    }
}
