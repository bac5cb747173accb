using ILGPU;

namespace SharpInfer.Backends.Gpu.Kernels;

/// <summary>
/// Sums and maxima over the threads of one group, inside explicitly grouped kernels: shuffles within
/// each warp, then the warps' results through shared memory. The group size is a power of two and a
/// multiple of the warp size, or a single thread (<see cref="KernelSet"/> picks it from the accelerator),
/// so the same code runs on CUDA (warps of 32) and on ILGPU's CPU accelerator (its configured warps).
/// Every thread of the group must call these (they contain barriers); all get the result.
/// </summary>
internal static class GroupReduce
{
    /// <summary>Most warps a group may have (1024 threads of warps of 32).</summary>
    public const int MaxWarps = 32;

    public static float Sum(float v)
    {
        var shared = SharedMemory.Allocate<float>(MaxWarps);
        if (Group.DimX == 1) return v;
        for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v += Warp.ShuffleDown(v, o);
        int warps = Group.DimX / Warp.WarpSize;
        if (warps > 1)
        {
            if (Warp.IsFirstLane) shared[Warp.WarpIdx] = v;
            Group.Barrier();
            v = Warp.LaneIdx < warps ? shared[Warp.LaneIdx] : 0f;
            for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v += Warp.ShuffleDown(v, o);
            Group.Barrier(); // every warp has read its lanes' values before the slots are reused
        }
        return Warp.Shuffle(v, 0);
    }

    public static double Sum(double v)
    {
        var shared = SharedMemory.Allocate<double>(MaxWarps);
        if (Group.DimX == 1) return v;
        for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v += ShuffleDown(v, o);
        int warps = Group.DimX / Warp.WarpSize;
        if (warps > 1)
        {
            if (Warp.IsFirstLane) shared[Warp.WarpIdx] = v;
            Group.Barrier();
            v = Warp.LaneIdx < warps ? shared[Warp.LaneIdx] : 0.0;
            for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v += ShuffleDown(v, o);
            Group.Barrier();
        }
        return Broadcast(v);
    }

    /// <summary>
    /// A double shuffled as two 32-bit halves: PTX's shfl moves 32 bits, and ILGPU lowers only
    /// narrower types to it, so a 64-bit shuffle is not left to the backend.
    /// </summary>
    private static double ShuffleDown(double v, int delta)
    {
        ulong bits = Interop.FloatAsInt(v);
        uint lo = Warp.ShuffleDown((uint)bits, delta);
        uint hi = Warp.ShuffleDown((uint)(bits >> 32), delta);
        return Interop.IntAsFloat(((ulong)hi << 32) | lo);
    }

    private static double Broadcast(double v)
    {
        ulong bits = Interop.FloatAsInt(v);
        uint lo = Warp.Shuffle((uint)bits, 0);
        uint hi = Warp.Shuffle((uint)(bits >> 32), 0);
        return Interop.IntAsFloat(((ulong)hi << 32) | lo);
    }

    public static float Max(float v)
    {
        var shared = SharedMemory.Allocate<float>(MaxWarps);
        if (Group.DimX == 1) return v;
        for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v = Math.Max(v, Warp.ShuffleDown(v, o));
        int warps = Group.DimX / Warp.WarpSize;
        if (warps > 1)
        {
            if (Warp.IsFirstLane) shared[Warp.WarpIdx] = v;
            Group.Barrier();
            v = Warp.LaneIdx < warps ? shared[Warp.LaneIdx] : float.NegativeInfinity;
            for (int o = Warp.WarpSize / 2; o > 0; o /= 2) v = Math.Max(v, Warp.ShuffleDown(v, o));
            Group.Barrier();
        }
        return Warp.Shuffle(v, 0);
    }
}
