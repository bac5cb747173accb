using SharpInfer.Platform.X64;

namespace SharpInfer.Numerics.Kernels.Vnni;

/// <summary>
/// The frame the emitted 4-row generation kernels share: row i of a group addressed from the first row and its
/// stride (and 3·stride), a prefetch pointer <see cref="VnniTileArgs.PrefetchDistance"/> ahead of the rows that moves
/// in step with them, and the count-down loop over blocks.
/// </summary>
internal sealed class RowLoop(X64Emitter e, Reg x, Reg xs, Reg xs3, Reg next, Reg count)
{
    private readonly Label _loop = new(), _done = new();

    /// <summary>Row <paramref name="i"/> (0–3) of the group at <paramref name="b"/>, rows <paramref name="stride"/> apart.</summary>
    public static Mem Row(Reg b, Reg stride, Reg stride3, int i, int disp) => i switch
    {
        0 => Mem.At(b, disp),
        1 => Mem.Sib(b, stride, 1, disp),
        2 => Mem.Sib(b, stride, 2, disp),
        _ => Mem.Sib(b, stride3, 1, disp),
    };

    /// <summary>Weight row <paramref name="i"/> at displacement <paramref name="disp"/> of the current block.</summary>
    public Mem Row(int i, int disp) => Row(x, xs, xs3, i, disp);

    /// <summary>Points the prefetch pointer ahead (from the argument struct at <paramref name="args"/>) and opens the loop (none when count ≤ 0).</summary>
    public void Begin(Reg args)
    {
        e.Load(next, Mem.At(args, VnniTileArgs.PrefetchDistanceOffset));
        e.Add(next, x);
        e.Test(count, count);
        e.J(Cond.LE, _done);
        e.Bind(_loop);
    }

    /// <summary>
    /// Prefetches this block step's share of the region ahead into L2 (<paramref name="stepBytes"/>: what the 4 rows
    /// consume per step), counts down and loops; the caller has advanced its own pointers.
    /// </summary>
    public void End(int stepBytes)
    {
        for (int l = 0; l < stepBytes; l += 64) e.Prefetcht1(Mem.At(next, l));
        e.AddImm(next, stepBytes);
        e.SubImm(count, 1);
        e.J(Cond.NE, _loop);
        e.Bind(_done);
    }
}
