namespace SharpInfer.Platform.X64;

/// <summary>x86-64 general-purpose registers, numbered as the hardware encodes them.</summary>
internal enum Reg : byte
{
    Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15,
}

/// <summary>AMX tile registers tmm0–tmm7.</summary>
internal enum Tmm : byte { Tmm0, Tmm1, Tmm2, Tmm3, Tmm4, Tmm5, Tmm6, Tmm7 }

/// <summary>Condition codes in their encoding order (the low nibble of Jcc).</summary>
internal enum Cond : byte
{
    O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G,
}

/// <summary>A memory operand <c>[base + index*scale + disp]</c>; index is optional.</summary>
internal readonly record struct Mem(Reg Base, Reg? Index = null, byte Scale = 1, int Disp = 0)
{
    public static Mem At(Reg b, int disp = 0) => new(b, null, 1, disp);
    public static Mem Sib(Reg b, Reg index, byte scale = 1, int disp = 0) => new(b, index, scale, disp);
}

/// <summary>A jump target; bound once to a code offset.</summary>
internal sealed class Label
{
    internal int Offset = -1;
    public bool IsBound => Offset >= 0;
}
