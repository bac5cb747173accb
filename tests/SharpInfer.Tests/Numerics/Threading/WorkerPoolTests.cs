using SharpInfer.Numerics.Threading;

namespace SharpInfer.Tests.Numerics.Threading;

public unsafe class WorkerPoolTests
{
    /// <summary>Each item i writes a value that depends on a float loop over i, so any double-processing or skip shows.</summary>
    private struct FillJob : IParallelJob
    {
        public float* Output;
        public int* Visits;

        public readonly void Execute(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                float s = 0;
                for (int k = 0; k <= i % 97; k++) s += MathF.Sin(i * 0.001f + k);
                Output[i] = s;
                Interlocked.Increment(ref Visits[i]);
            }
        }
    }

    private struct ThrowingJob : IParallelJob
    {
        public int ThrowAt;

        public readonly void Execute(int start, int end)
        {
            for (int i = start; i < end; i++)
                if (i == ThrowAt) throw new InvalidOperationException($"item {i} failed");
        }
    }

    [Fact]
    public void ResultsAreIdenticalForOneToFourThreadsAndEveryItemRunsOnce()
    {
        const int n = 5000;
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 4 })
        {
            using var pool = new WorkerPool(threads);
            Assert.Equal(threads, pool.ThreadCount);
            foreach (int chunk in new[] { 1, 7, 64 })
            {
                var output = new float[n];
                var visits = new int[n];
                fixed (float* o = output)
                fixed (int* v = visits)
                {
                    var job = new FillJob { Output = o, Visits = v };
                    pool.Run(ref job, n, chunk);
                }
                Assert.All(visits, c => Assert.Equal(1, c));
                first ??= output;
                Assert.Equal(first, output);
            }
        }
    }

    /// <summary>Records, per managed thread, the thread's allocated-bytes counter at its first and latest call.</summary>
    private struct AllocationProbeJob : IParallelJob
    {
        public long* First, Last;

        public readonly void Execute(int start, int end)
        {
            int id = Environment.CurrentManagedThreadId;
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            if (First[id] < 0) First[id] = allocated;
            Last[id] = allocated;
            Thread.SpinWait(50 * (end - start));
        }
    }

    [Fact]
    public void RunDoesNotAllocateOnTheCallerOrTheWorkers()
    {
        const int slots = 4096;
        using var pool = new WorkerPool(3);
        var first = new long[slots];
        var last = new long[slots];
        Array.Fill(first, -1L);
        fixed (long* f = first)
        fixed (long* l = last)
        {
            var job = new AllocationProbeJob { First = f, Last = l };
            Assert.True(Environment.CurrentManagedThreadId < slots);
            for (int i = 0; i < 50; i++) pool.Run(ref job, 64, 2); // warm up (JIT, lock inflation)
            Array.Fill(first, -1L);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 2000; i++) pool.Run(ref job, 64, 2);
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.Equal(0, after - before);
        }
        int threadsSeen = 0;
        for (int id = 0; id < slots; id++)
        {
            if (first[id] < 0) continue;
            threadsSeen++;
            Assert.True(last[id] == first[id], $"thread {id} allocated {last[id] - first[id]} bytes across runs");
        }
        Assert.True(threadsSeen >= 2, "the workers never took part");
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(4)]
    public void AnExceptionInAnyItemSurfacesToTheCallerAndThePoolStaysUsable(int threads)
    {
        using var pool = new WorkerPool(threads);
        foreach (int at in new[] { 0, 511, 999 })
        {
            var job = new ThrowingJob { ThrowAt = at };
            var e = Assert.Throws<InvalidOperationException>(() => pool.Run(ref job, 1000, 3));
            Assert.Equal($"item {at} failed", e.Message);
        }
        var output = new float[100];
        var visits = new int[100];
        fixed (float* o = output)
        fixed (int* v = visits)
        {
            var ok = new FillJob { Output = o, Visits = v };
            pool.Run(ref ok, 100);
        }
        Assert.All(visits, c => Assert.Equal(1, c));
    }

    [Fact]
    public void WorkersThatFellAsleepWakeUpForTheNextRun()
    {
        using var pool = new WorkerPool(2, spinMicroseconds: 0);
        var output = new float[64];
        var visits = new int[64];
        fixed (float* o = output)
        fixed (int* v = visits)
        {
            for (int round = 0; round < 3; round++)
            {
                Thread.Sleep(20);
                var job = new FillJob { Output = o, Visits = v };
                pool.Run(ref job, 64);
            }
        }
        Assert.All(visits, c => Assert.Equal(3, c));
    }

    /// <summary>Many short back-to-back runs (where workers join late or not at all): every item exactly once, no hang.</summary>
    [Fact]
    public void ManyShortRunsNeitherLoseNorRepeatItems()
    {
        using var pool = new WorkerPool(4, spinMicroseconds: 20);
        var rng = new Random(3);
        var output = new float[64];
        var visits = new int[64];
        fixed (float* o = output)
        fixed (int* v = visits)
        {
            for (int run = 0; run < 3000; run++)
            {
                int items = rng.Next(1, 65);
                Array.Clear(visits);
                var job = new FillJob { Output = o, Visits = v };
                pool.Run(ref job, items, rng.Next(1, 4));
                for (int i = 0; i < 64; i++) Assert.Equal(i < items ? 1 : 0, visits[i]);
            }
        }
    }

    [Fact]
    public void DefaultThreadCountIsAtLeastOneAndAtMostTheLogicalCpus()
    {
        Assert.InRange(WorkerPool.DefaultThreadCount, 1, Environment.ProcessorCount);
    }
}
