namespace SharpInfer.Models.Compute;

/// <summary>A piece of work split into <c>parts</c> independent parts.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// A few persistent threads that run one <see cref="IParallelWork"/> at a time together with the
/// calling thread (ggml's thread-pool model: every thread takes its share, then all meet at a
/// barrier). Nothing is allocated per run. Splitting work this way never changes the arithmetic:
/// each output is computed by exactly one thread, in the same order as with one thread.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly Barrier? _barrier;
    private IParallelWork? _work;
    private Exception? _failure;
    private volatile bool _stopping;

    public WorkerPool(int parallelism)
    {
        Parallelism = Math.Max(1, parallelism);
        _threads = new Thread[Parallelism - 1];
        if (Parallelism == 1) return;
        _barrier = new Barrier(Parallelism);
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"SharpInfer worker {i + 1}" };
            _threads[i].Start(i + 1);
        }
    }

    public int Parallelism { get; }

    public void Run(IParallelWork work)
    {
        if (_barrier is null)
        {
            work.Execute(0, 1);
            return;
        }
        _work = work;
        _failure = null;
        _barrier.SignalAndWait();
        try
        {
            work.Execute(0, Parallelism);
        }
        catch (Exception e)
        {
            _failure ??= e;
        }
        _barrier.SignalAndWait();
        _work = null;
        if (_failure is { } f) throw new AggregateException("a worker thread failed", f);
    }

    private void Loop(object? state)
    {
        var part = (int)state!;
        while (true)
        {
            _barrier!.SignalAndWait();
            if (_stopping) return;
            try
            {
                _work!.Execute(part, Parallelism);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            _barrier.SignalAndWait();
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

    public void Dispose()
    {
        if (_barrier is null || _stopping) return;
        _stopping = true;
        _barrier.SignalAndWait();
        foreach (var t in _threads) t.Join();
        _barrier.Dispose();
    }
}
