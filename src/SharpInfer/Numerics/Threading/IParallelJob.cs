namespace SharpInfer.Numerics.Threading;

/// <summary>
/// A unit of parallel work for <see cref="WorkerPool.Run{TJob}"/>: the pool hands out disjoint item ranges
/// [start, end) and each item is processed by exactly one call. An implementation must compute each item's
/// output from that item alone, so results do not depend on how the items are split among threads.
/// </summary>
public interface IParallelJob
{
    void Execute(int start, int end);
}
