using SharpInfer.Platform.X64;

namespace SharpInfer.Tests.Amx;

/// <summary>Small non-AMX functions emitted for both the native and the interpreted runs.</summary>
internal static class SampleFunctions
{
    /// <summary><c>int add(int a, int b)</c>.</summary>
    public static byte[] AddInts(X64Abi cc)
    {
        var e = new X64Emitter();
        e.Mov(Reg.Rax, cc.IntArgs[0], wide: false);
        e.Add(Reg.Rax, cc.IntArgs[1], wide: false);
        e.Ret();
        return e.ToArray();
    }

    /// <summary><c>int sum(const int* p, long n)</c>: a counted loop with a memory operand,
    /// using callee-saved registers so the prologue/epilogue matter.</summary>
    public static byte[] SumInts(X64Abi cc)
    {
        var e = new X64Emitter();
        var saved = cc.Prologue(e, [Reg.Rbx, Reg.R12]);
        e.Mov(Reg.Rbx, cc.IntArgs[0]);
        e.Mov(Reg.R12, cc.IntArgs[1]);
        e.MovImm32(Reg.Rax, 0);
        e.MovImm(Reg.Rcx, 0);
        var loop = new Label();
        var done = new Label();
        e.Test(Reg.R12, Reg.R12);
        e.J(Cond.LE, done);
        e.Bind(loop);
        e.Add(Reg.Rax, Mem.Sib(Reg.Rbx, Reg.Rcx, 4), wide: false);
        e.AddImm(Reg.Rcx, 1);
        e.Cmp(Reg.Rcx, Reg.R12);
        e.J(Cond.L, loop);
        e.Bind(done);
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }

    /// <summary><c>void scale(long* p, long n, long k)</c>: p[i] = p[i] * k + i, exercising
    /// load/store, imul, lea and a decrementing loop.</summary>
    public static byte[] ScaleLongs(X64Abi cc)
    {
        var e = new X64Emitter();
        var saved = cc.Prologue(e, [Reg.R12, Reg.R13, Reg.R14]);
        e.Mov(Reg.R12, cc.IntArgs[0]);
        e.Mov(Reg.R13, cc.IntArgs[1]);
        e.Mov(Reg.R14, cc.IntArgs[2]);
        e.MovImm(Reg.Rcx, 0);
        var loop = new Label();
        var done = new Label();
        e.CmpImm(Reg.R13, 0);
        e.J(Cond.E, done);
        e.Bind(loop);
        e.Lea(Reg.R8, Mem.Sib(Reg.R12, Reg.Rcx, 8));
        e.Load(Reg.Rax, Mem.At(Reg.R8));
        e.Imul(Reg.Rax, Reg.R14);
        e.Add(Reg.Rax, Reg.Rcx);
        e.Store(Mem.At(Reg.R8), Reg.Rax);
        e.AddImm(Reg.Rcx, 1);
        e.SubImm(Reg.R13, 1);
        e.J(Cond.NE, loop);
        e.Bind(done);
        X64Abi.Epilogue(e, saved);
        return e.ToArray();
    }
}
