namespace SharpInfer.Models.Compute;

/// <summary>
/// A float buffer that grows on demand and never moves: pinned, its start aligned to 64 bytes so
/// that 16-float rows fall on cache lines. Grown only when a larger product first arrives, so a
/// forward pass allocates nothing once every shape has been seen.
/// </summary>
internal sealed unsafe class PinnedFloats
{
    private float[]? _array;
    private float* _start;
    private int _capacity;

    /// <summary>At least <paramref name="count"/> floats, 64-byte aligned.</summary>
    public float* Get(int count)
    {
        if (count > _capacity)
        {
            _array = GC.AllocateUninitializedArray<float>(count + 16, pinned: true);
            fixed (float* p = _array) _start = (float*)(((nint)p + 63) & ~(nint)63);
            _capacity = count;
        }
        return _start;
    }
}
