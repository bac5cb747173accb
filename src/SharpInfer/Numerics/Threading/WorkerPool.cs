using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace SharpInfer.Numerics.Threading;

/// <summary>
/// A persistent pool of worker threads for the compute kernels. <see cref="Run{TJob}"/> publishes one job,
/// the calling thread works on it too, and items are claimed in chunks from a shared counter; it returns
/// when every item is done (the caller waits only for workers that actually joined the job, so a worker the OS
/// has not scheduled yet costs nothing). Waiting is spin-then-block on both sides (workers waiting for the next job, the
/// caller waiting for stragglers), so back-to-back operations do not pay for a kernel wake-up. No allocation
/// and no Task per <see cref="Run{TJob}"/>; an exception thrown by any thread is rethrown to the caller.
/// Not reentrant: one <see cref="Run{TJob}"/> at a time per pool.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly object _wakeLock = new();
    private readonly object _doneLock = new();
    private readonly long _spinTicks;

    // The published job (written by the caller before _generation is bumped).
    private delegate*<void*, int, int, void> _invoke;
    private void* _job;
    private int _items, _chunk;

    private int _next;        // next unclaimed item
    private int _active;      // workers that joined the current job and have not left it
    private int _closed = 1;  // 1 once the caller has finished its share: late workers must not touch the job
    private int _generation;  // bumped once per job
    private int _sleepers;    // workers blocked on _wakeLock
    private int _callerSleeping;
    private volatile bool _disposed;
    private Exception? _error;
    private int _running;

    /// <param name="threadCount">Total threads including the caller; 0 means <see cref="DefaultThreadCount"/>.</param>
    /// <param name="spinMicroseconds">How long a waiting thread spins before it blocks.</param>
    public WorkerPool(int threadCount = 0, int spinMicroseconds = 100)
    {
        if (threadCount < 0) throw new ArgumentOutOfRangeException(nameof(threadCount));
        ThreadCount = threadCount == 0 ? DefaultThreadCount : threadCount;
        _spinTicks = Math.Max(0, spinMicroseconds) * Stopwatch.Frequency / 1_000_000;
        _threads = new Thread[ThreadCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerMain) { IsBackground = true, Name = $"SharpInfer worker {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that work on a job, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>Physical cores available to this process (hyper-threads share the vector units the kernels saturate).</summary>
    public static int DefaultThreadCount { get; } = Platform.CpuInfo.PhysicalCores;

    /// <summary>
    /// Runs <paramref name="job"/> over items [0, <paramref name="items"/>) in ranges of at most
    /// <paramref name="chunk"/> items and returns when all are done. The job struct is pinned for the duration.
    /// </summary>
    public void Run<TJob>(ref TJob job, int items, int chunk = 1) where TJob : unmanaged, IParallelJob
    {
        if (items <= 0) return;
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk));
        if (_disposed) throw new ObjectDisposedException(nameof(WorkerPool));
        if (_threads.Length == 0 || items <= chunk)
        {
            job.Execute(0, items);
            return;
        }
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("WorkerPool.Run is not reentrant");
        try
        {
            fixed (TJob* p = &job)
            {
                _invoke = &Trampoline<TJob>.Invoke;
                _job = p;
                _items = items;
                _chunk = chunk;
                _next = 0;
                _error = null;
                Volatile.Write(ref _closed, 0);
                Interlocked.Increment(ref _generation);
                if (Volatile.Read(ref _sleepers) > 0)
                    lock (_wakeLock) Monitor.PulseAll(_wakeLock);
                try { Work(); }
                finally
                {
                    // Close the job, then wait only for workers that joined it: a worker that wakes up late sees
                    // the job closed and leaves without touching it (the job lives on this thread's stack).
                    Interlocked.Exchange(ref _closed, 1);
                    WaitForWorkers();
                }
                _job = null;
            }
            var error = _error;
            if (error != null)
            {
                _error = null;
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private void Work()
    {
        int items = _items, chunk = _chunk;
        var invoke = _invoke;
        void* job = _job;
        while (true)
        {
            int start = Interlocked.Add(ref _next, chunk) - chunk;
            if (start >= items) return;
            try
            {
                invoke(job, start, Math.Min(items, start + chunk));
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                Volatile.Write(ref _next, items); // stop handing out work
                return;
            }
        }
    }

    private void WorkerMain()
    {
        int seen = 0;
        while (true)
        {
            if (!WaitForJob(ref seen)) return;
            Interlocked.Increment(ref _active);
            if (Volatile.Read(ref _closed) == 0 && Volatile.Read(ref _generation) == seen) Work();
            if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _callerSleeping) != 0)
                lock (_doneLock) Monitor.Pulse(_doneLock);
        }
    }

    /// <summary>Spins, then blocks, until a job newer than <paramref name="seen"/> is published; false on dispose.</summary>
    private bool WaitForJob(ref int seen)
    {
        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        int g;
        while ((g = Volatile.Read(ref _generation)) == seen && !_disposed)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                lock (_wakeLock)
                {
                    Interlocked.Increment(ref _sleepers);
                    while ((g = Volatile.Read(ref _generation)) == seen && !_disposed) Monitor.Wait(_wakeLock);
                    Interlocked.Decrement(ref _sleepers);
                }
                break;
            }
            Thread.SpinWait(8);
        }
        seen = Volatile.Read(ref _generation);
        return !_disposed;
    }

    private void WaitForWorkers()
    {
        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        while (Volatile.Read(ref _active) != 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                lock (_doneLock)
                {
                    Interlocked.Exchange(ref _callerSleeping, 1);
                    while (Volatile.Read(ref _active) != 0) Monitor.Wait(_doneLock);
                    Volatile.Write(ref _callerSleeping, 0);
                }
                return;
            }
            Thread.SpinWait(8);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_wakeLock) Monitor.PulseAll(_wakeLock);
        foreach (var t in _threads) t.Join();
    }

    private static class Trampoline<TJob> where TJob : unmanaged, IParallelJob
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke(void* job, int start, int end) => ((TJob*)job)->Execute(start, end);
    }
}
