namespace SharpInfer.Platform.X64;

/// <summary>
/// The two x86-64 C calling conventions, reduced to what emitted leaf functions need: where the
/// first arguments arrive and which registers must be saved — general-purpose ones, and on Windows the low
/// 128 bits of xmm6–xmm15 as well. Emitted functions make no calls, so stack alignment and the Windows shadow
/// space do not matter.
/// </summary>
internal sealed class X64Abi
{
    public static readonly X64Abi SystemV = new("System V",
        [Reg.Rdi, Reg.Rsi, Reg.Rdx, Reg.Rcx, Reg.R8, Reg.R9],
        [Reg.Rbx, Reg.Rbp, Reg.R12, Reg.R13, Reg.R14, Reg.R15], []);

    public static readonly X64Abi Windows = new("Windows x64",
        [Reg.Rcx, Reg.Rdx, Reg.R8, Reg.R9],
        [Reg.Rbx, Reg.Rbp, Reg.Rdi, Reg.Rsi, Reg.R12, Reg.R13, Reg.R14, Reg.R15], [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

    /// <summary>The convention <c>delegate* unmanaged</c> uses on this OS.</summary>
    public static X64Abi Native => OperatingSystem.IsWindows() ? Windows : SystemV;

    private X64Abi(string name, Reg[] args, Reg[] calleeSaved, int[] vectorCalleeSaved)
    {
        Name = name;
        IntArgs = args;
        CalleeSaved = calleeSaved;
        VectorCalleeSaved = vectorCalleeSaved;
    }

    public string Name { get; }
    public IReadOnlyList<Reg> IntArgs { get; }
    public IReadOnlyList<Reg> CalleeSaved { get; }

    /// <summary>Every vector register (for kernels that use them freely).</summary>
    public static readonly int[] AllVectors = Enumerable.Range(0, 32).ToArray();

    /// <summary>Vector registers whose low 128 bits a callee must preserve: xmm6–xmm15 on Windows, none on System V.</summary>
    public IReadOnlyList<int> VectorCalleeSaved { get; }

    /// <summary>
    /// Pushes the callee-saved registers among <paramref name="used"/> and stores the low 128 bits of the callee-saved
    /// vector registers among <paramref name="vectors"/> below them; returns what <see cref="Epilogue"/> restores.
    /// </summary>
    public SavedRegisters Prologue(X64Emitter e, IEnumerable<Reg> used, IEnumerable<int>? vectors = null)
    {
        var gprs = new List<Reg>();
        foreach (var r in CalleeSaved)
            if (used.Contains(r)) { e.Push(r); gprs.Add(r); }
        var xmms = new List<int>();
        if (vectors != null)
            foreach (var v in VectorCalleeSaved)
                if (vectors.Contains(v)) xmms.Add(v);
        if (xmms.Count > 0)
        {
            e.SubImm(Reg.Rsp, 16 * xmms.Count);
            for (int i = 0; i < xmms.Count; i++) e.Vmovdqu32(Mem.At(Reg.Rsp, 16 * i), xmms[i], VecWidth.X);
        }
        return new SavedRegisters(gprs.ToArray(), xmms.ToArray());
    }

    /// <summary>Restores what <see cref="Prologue"/> saved, in reverse, and returns.</summary>
    public static void Epilogue(X64Emitter e, SavedRegisters saved)
    {
        if (saved.Vectors.Length > 0)
        {
            for (int i = 0; i < saved.Vectors.Length; i++) e.Vmovdqu32(saved.Vectors[i], Mem.At(Reg.Rsp, 16 * i), VecWidth.X);
            e.AddImm(Reg.Rsp, 16 * saved.Vectors.Length);
        }
        for (int i = saved.Gprs.Length - 1; i >= 0; i--) e.Pop(saved.Gprs[i]);
        e.Ret();
    }

    public override string ToString() => Name;
}

/// <summary>What an emitted function's prologue saved: pushed general-purpose registers, and vector registers (low 128 bits) stored below them.</summary>
internal sealed record SavedRegisters(Reg[] Gprs, int[] Vectors);
