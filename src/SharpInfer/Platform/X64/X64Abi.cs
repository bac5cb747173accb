namespace SharpInfer.Platform.X64;

/// <summary>
/// The two x86-64 C calling conventions, reduced to what emitted leaf functions need: where the
/// first arguments arrive and which registers must be saved. Emitted functions make no calls, so
/// stack alignment and the Windows shadow space do not matter.
/// </summary>
internal sealed class X64Abi
{
    public static readonly X64Abi SystemV = new("System V",
        [Reg.Rdi, Reg.Rsi, Reg.Rdx, Reg.Rcx, Reg.R8, Reg.R9],
        [Reg.Rbx, Reg.Rbp, Reg.R12, Reg.R13, Reg.R14, Reg.R15]);

    public static readonly X64Abi Windows = new("Windows x64",
        [Reg.Rcx, Reg.Rdx, Reg.R8, Reg.R9],
        [Reg.Rbx, Reg.Rbp, Reg.Rdi, Reg.Rsi, Reg.R12, Reg.R13, Reg.R14, Reg.R15]);

    /// <summary>The convention <c>delegate* unmanaged</c> uses on this OS.</summary>
    public static X64Abi Native => OperatingSystem.IsWindows() ? Windows : SystemV;

    private X64Abi(string name, Reg[] args, Reg[] calleeSaved)
    {
        Name = name;
        IntArgs = args;
        CalleeSaved = calleeSaved;
    }

    public string Name { get; }
    public IReadOnlyList<Reg> IntArgs { get; }
    public IReadOnlyList<Reg> CalleeSaved { get; }

    /// <summary>Pushes the callee-saved registers among <paramref name="used"/>; returns what to pop.</summary>
    public Reg[] Prologue(X64Emitter e, IEnumerable<Reg> used)
    {
        var saved = new List<Reg>();
        foreach (var r in CalleeSaved)
            if (used.Contains(r)) { e.Push(r); saved.Add(r); }
        return saved.ToArray();
    }

    /// <summary>Pops what <see cref="Prologue"/> pushed, in reverse, and returns.</summary>
    public static void Epilogue(X64Emitter e, Reg[] saved)
    {
        for (int i = saved.Length - 1; i >= 0; i--) e.Pop(saved[i]);
        e.Ret();
    }

    public override string ToString() => Name;
}
