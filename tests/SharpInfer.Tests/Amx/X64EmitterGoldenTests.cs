using SharpInfer.Platform.X64;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Every instruction form the emitter offers, against the bytes GNU as 2.40 assembled from
/// tools/amx/golden.s and tools/amx/jumps.s (regenerate/verify with tools/amx/regen-golden.sh).
/// </summary>
public sealed class X64EmitterGoldenTests
{
    private static readonly object[][] Forms =
    [
        ["c4 e2 78 49 07", "ldtilecfg [rdi]", (Action<X64Emitter>)(e => e.Ldtilecfg(Mem.At(Reg.Rdi)))],
        ["c4 e2 78 49 04 24", "ldtilecfg [rsp]", (Action<X64Emitter>)(e => e.Ldtilecfg(Mem.At(Reg.Rsp)))],
        ["c4 e2 79 49 46 40", "sttilecfg [rsi+0x40]", (Action<X64Emitter>)(e => e.Sttilecfg(Mem.At(Reg.Rsi, 64)))],
        ["c4 e2 78 49 c0", "tilerelease", (Action<X64Emitter>)(e => e.Tilerelease())],
        ["c4 e2 7b 49 c0", "tilezero tmm0", (Action<X64Emitter>)(e => e.Tilezero(Tmm.Tmm0))],
        ["c4 e2 7b 49 e8", "tilezero tmm5", (Action<X64Emitter>)(e => e.Tilezero(Tmm.Tmm5))],
        ["c4 e2 7b 49 f8", "tilezero tmm7", (Action<X64Emitter>)(e => e.Tilezero(Tmm.Tmm7))],
        ["c4 e2 7b 4b 04 10", "tileloadd tmm0,[rax+rdx*1]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm0, Mem.Sib(Reg.Rax, Reg.Rdx)))],
        ["c4 a2 7b 4b 14 00", "tileloadd tmm2,[rax+r8*1]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm2, Mem.Sib(Reg.Rax, Reg.R8)))],
        ["c4 82 7b 4b 1c 06", "tileloadd tmm3,[r14+r8*1]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm3, Mem.Sib(Reg.R14, Reg.R8)))],
        ["c4 82 7b 4b 0c 21", "tileloadd tmm1,[r9+r12*1]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm1, Mem.Sib(Reg.R9, Reg.R12)))],
        ["c4 82 7b 4b 7c 25 40", "tileloadd tmm7,[r13+r12*1+0x40]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm7, Mem.Sib(Reg.R13, Reg.R12, 1, 64)))],
        ["c4 e2 7b 4b 8c 8c 00 04 00 00", "tileloadd tmm1,[rsp+rcx*4+0x400]", (Action<X64Emitter>)(e => e.Tileloadd(Tmm.Tmm1, Mem.Sib(Reg.Rsp, Reg.Rcx, 4, 1024)))],
        ["c4 e2 79 4b 24 33", "tileloaddt1 tmm4,[rbx+rsi*1]", (Action<X64Emitter>)(e => e.Tileloaddt1(Tmm.Tmm4, Mem.Sib(Reg.Rbx, Reg.Rsi)))],
        ["c4 e2 7a 4b 24 11", "tilestored [rcx+rdx*1],tmm4", (Action<X64Emitter>)(e => e.Tilestored(Mem.Sib(Reg.Rcx, Reg.Rdx), Tmm.Tmm4))],
        ["c4 e2 7a 4b 74 11 40", "tilestored [rcx+rdx*1+0x40],tmm6", (Action<X64Emitter>)(e => e.Tilestored(Mem.Sib(Reg.Rcx, Reg.Rdx, 1, 64), Tmm.Tmm6))],
        ["c4 c2 7a 4b 2c 17", "tilestored [r15+rdx*1],tmm5", (Action<X64Emitter>)(e => e.Tilestored(Mem.Sib(Reg.R15, Reg.Rdx), Tmm.Tmm5))],
        ["c4 c2 7a 4b 7c 17 40", "tilestored [r15+rdx*1+0x40],tmm7", (Action<X64Emitter>)(e => e.Tilestored(Mem.Sib(Reg.R15, Reg.Rdx, 1, 64), Tmm.Tmm7))],
        ["c4 e2 7b 5e e2", "tdpbssd tmm4,tmm2,tmm0", (Action<X64Emitter>)(e => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))],
        ["c4 e2 73 5e f2", "tdpbssd tmm6,tmm2,tmm1", (Action<X64Emitter>)(e => e.Tdpbssd(Tmm.Tmm6, Tmm.Tmm2, Tmm.Tmm1))],
        ["c4 e2 7b 5e eb", "tdpbssd tmm5,tmm3,tmm0", (Action<X64Emitter>)(e => e.Tdpbssd(Tmm.Tmm5, Tmm.Tmm3, Tmm.Tmm0))],
        ["c4 e2 73 5e fb", "tdpbssd tmm7,tmm3,tmm1", (Action<X64Emitter>)(e => e.Tdpbssd(Tmm.Tmm7, Tmm.Tmm3, Tmm.Tmm1))],
        ["c4 e2 7a 5e e2", "tdpbsud tmm4,tmm2,tmm0", (Action<X64Emitter>)(e => e.Tdpbsud(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))],
        ["c4 e2 79 5e e2", "tdpbusd tmm4,tmm2,tmm0", (Action<X64Emitter>)(e => e.Tdpbusd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))],
        ["c4 e2 78 5e e2", "tdpbuud tmm4,tmm2,tmm0", (Action<X64Emitter>)(e => e.Tdpbuud(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))],
        ["c4 e2 7a 5c e2", "tdpbf16ps tmm4,tmm2,tmm0", (Action<X64Emitter>)(e => e.Tdpbf16ps(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))],
        ["c4 e2 72 5c c7", "tdpbf16ps tmm0,tmm7,tmm1", (Action<X64Emitter>)(e => e.Tdpbf16ps(Tmm.Tmm0, Tmm.Tmm7, Tmm.Tmm1))],
        ["49 89 fb", "mov r11,rdi", (Action<X64Emitter>)(e => e.Mov(Reg.R11, Reg.Rdi))],
        ["49 89 cb", "mov r11,rcx", (Action<X64Emitter>)(e => e.Mov(Reg.R11, Reg.Rcx))],
        ["49 89 f8", "mov r8,rdi", (Action<X64Emitter>)(e => e.Mov(Reg.R8, Reg.Rdi))],
        ["49 89 c8", "mov r8,rcx", (Action<X64Emitter>)(e => e.Mov(Reg.R8, Reg.Rcx))],
        ["4c 89 f0", "mov rax,r14", (Action<X64Emitter>)(e => e.Mov(Reg.Rax, Reg.R14))],
        ["89 c8", "mov eax,ecx", (Action<X64Emitter>)(e => e.Mov(Reg.Rax, Reg.Rcx, wide: false))],
        ["48 c7 c0 ff ff ff 7f", "mov rax,0x7fffffff", (Action<X64Emitter>)(e => e.MovImm(Reg.Rax, 0x7fffffff))],
        ["48 c7 c0 ff ff ff ff", "mov rax,0xffffffffffffffff", (Action<X64Emitter>)(e => e.MovImm(Reg.Rax, -1))],
        ["49 c7 c2 40 00 00 00", "mov r10,0x40", (Action<X64Emitter>)(e => e.MovImm(Reg.R10, 64))],
        ["48 b8 89 67 45 23 01 00 00 00", "movabs rax,0x123456789", (Action<X64Emitter>)(e => e.MovImm(Reg.Rax, 0x123456789))],
        ["49 b9 00 00 00 00 01 00 00 00", "movabs r9,0x100000000", (Action<X64Emitter>)(e => e.MovImm(Reg.R9, 0x100000000))],
        ["b8 05 00 00 00", "mov eax,0x5", (Action<X64Emitter>)(e => e.MovImm32(Reg.Rax, 5))],
        ["41 bc 07 00 00 00", "mov r12d,0x7", (Action<X64Emitter>)(e => e.MovImm32(Reg.R12, 7))],
        ["b9 00 00 00 00", "mov ecx,0x0", (Action<X64Emitter>)(e => e.MovImm32(Reg.Rcx, 0))],
        ["49 8b 03", "mov rax,QWORD PTR [r11]", (Action<X64Emitter>)(e => e.Load(Reg.Rax, Mem.At(Reg.R11)))],
        ["4d 8b 43 08", "mov r8,QWORD PTR [r11+0x8]", (Action<X64Emitter>)(e => e.Load(Reg.R8, Mem.At(Reg.R11, 8)))],
        ["49 8b 5b 10", "mov rbx,QWORD PTR [r11+0x10]", (Action<X64Emitter>)(e => e.Load(Reg.Rbx, Mem.At(Reg.R11, 16)))],
        ["4d 8b ab 00 01 00 00", "mov r13,QWORD PTR [r11+0x100]", (Action<X64Emitter>)(e => e.Load(Reg.R13, Mem.At(Reg.R11, 0x100)))],
        ["49 8b 44 24 08", "mov rax,QWORD PTR [r12+0x8]", (Action<X64Emitter>)(e => e.Load(Reg.Rax, Mem.At(Reg.R12, 8)))],
        ["48 8b 45 00", "mov rax,QWORD PTR [rbp+0x0]", (Action<X64Emitter>)(e => e.Load(Reg.Rax, Mem.At(Reg.Rbp)))],
        ["49 8b 45 00", "mov rax,QWORD PTR [r13+0x0]", (Action<X64Emitter>)(e => e.Load(Reg.Rax, Mem.At(Reg.R13)))],
        ["8b 04 8f", "mov eax,DWORD PTR [rdi+rcx*4]", (Action<X64Emitter>)(e => e.Load(Reg.Rax, Mem.Sib(Reg.Rdi, Reg.Rcx, 4), wide: false))],
        ["48 89 04 24", "mov QWORD PTR [rsp],rax", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.Rsp), Reg.Rax))],
        ["48 89 44 24 08", "mov QWORD PTR [rsp+0x8],rax", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.Rsp, 8), Reg.Rax))],
        ["48 89 44 24 38", "mov QWORD PTR [rsp+0x38],rax", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.Rsp, 56), Reg.Rax))],
        ["89 37", "mov DWORD PTR [rdi],esi", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.Rdi), Reg.Rsi, wide: false))],
        ["41 89 00", "mov DWORD PTR [r8],eax", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.R8), Reg.Rax, wide: false))],
        ["41 89 50 04", "mov DWORD PTR [r8+0x4],edx", (Action<X64Emitter>)(e => e.Store(Mem.At(Reg.R8, 4), Reg.Rdx, wide: false))],
        ["4e 8d 34 c0", "lea r14,[rax+r8*8]", (Action<X64Emitter>)(e => e.Lea(Reg.R14, Mem.Sib(Reg.Rax, Reg.R8, 8)))],
        ["48 8d 04 37", "lea rax,[rdi+rsi*1]", (Action<X64Emitter>)(e => e.Lea(Reg.Rax, Mem.Sib(Reg.Rdi, Reg.Rsi)))],
        ["4c 8d bc 11 00 02 00 00", "lea r15,[rcx+rdx*1+0x200]", (Action<X64Emitter>)(e => e.Lea(Reg.R15, Mem.Sib(Reg.Rcx, Reg.Rdx, 1, 0x200)))],
        ["48 01 c8", "add rax,rcx", (Action<X64Emitter>)(e => e.Add(Reg.Rax, Reg.Rcx))],
        ["4d 01 ee", "add r14,r13", (Action<X64Emitter>)(e => e.Add(Reg.R14, Reg.R13))],
        ["01 f0", "add eax,esi", (Action<X64Emitter>)(e => e.Add(Reg.Rax, Reg.Rsi, wide: false))],
        ["48 83 c0 08", "add rax,0x8", (Action<X64Emitter>)(e => e.AddImm(Reg.Rax, 8))],
        ["48 05 00 10 00 00", "add rax,0x1000", (Action<X64Emitter>)(e => e.AddImm(Reg.Rax, 0x1000))],
        ["48 81 c1 00 10 00 00", "add rcx,0x1000", (Action<X64Emitter>)(e => e.AddImm(Reg.Rcx, 0x1000))],
        ["48 83 c4 40", "add rsp,0x40", (Action<X64Emitter>)(e => e.AddImm(Reg.Rsp, 64))],
        ["03 04 8f", "add eax,DWORD PTR [rdi+rcx*4]", (Action<X64Emitter>)(e => e.Add(Reg.Rax, Mem.Sib(Reg.Rdi, Reg.Rcx, 4), wide: false))],
        ["49 03 43 18", "add rax,QWORD PTR [r11+0x18]", (Action<X64Emitter>)(e => e.Add(Reg.Rax, Mem.At(Reg.R11, 24)))],
        ["48 83 ec 40", "sub rsp,0x40", (Action<X64Emitter>)(e => e.SubImm(Reg.Rsp, 64))],
        ["49 83 ea 01", "sub r10,0x1", (Action<X64Emitter>)(e => e.SubImm(Reg.R10, 1))],
        ["48 29 d1", "sub rcx,rdx", (Action<X64Emitter>)(e => e.Sub(Reg.Rcx, Reg.Rdx))],
        ["48 2d 00 10 00 00", "sub rax,0x1000", (Action<X64Emitter>)(e => e.SubImm(Reg.Rax, 0x1000))],
        ["48 39 f1", "cmp rcx,rsi", (Action<X64Emitter>)(e => e.Cmp(Reg.Rcx, Reg.Rsi))],
        ["48 3d 00 10 00 00", "cmp rax,0x1000", (Action<X64Emitter>)(e => e.CmpImm(Reg.Rax, 0x1000))],
        ["49 83 fa 00", "cmp r10,0x0", (Action<X64Emitter>)(e => e.CmpImm(Reg.R10, 0))],
        ["39 f1", "cmp ecx,esi", (Action<X64Emitter>)(e => e.Cmp(Reg.Rcx, Reg.Rsi, wide: false))],
        ["4d 85 d2", "test r10,r10", (Action<X64Emitter>)(e => e.Test(Reg.R10, Reg.R10))],
        ["85 f6", "test esi,esi", (Action<X64Emitter>)(e => e.Test(Reg.Rsi, Reg.Rsi, wide: false))],
        ["48 0f af c1", "imul rax,rcx", (Action<X64Emitter>)(e => e.Imul(Reg.Rax, Reg.Rcx))],
        ["4d 0f af f0", "imul r14,r8", (Action<X64Emitter>)(e => e.Imul(Reg.R14, Reg.R8))],
        ["4d 6b f0 10", "imul r14,r8,0x10", (Action<X64Emitter>)(e => e.ImulImm(Reg.R14, Reg.R8, 16))],
        ["48 69 c1 00 10 00 00", "imul rax,rcx,0x1000", (Action<X64Emitter>)(e => e.ImulImm(Reg.Rax, Reg.Rcx, 0x1000))],
        ["53", "push rbx", (Action<X64Emitter>)(e => e.Push(Reg.Rbx))],
        ["41 54", "push r12", (Action<X64Emitter>)(e => e.Push(Reg.R12))],
        ["41 57", "push r15", (Action<X64Emitter>)(e => e.Push(Reg.R15))],
        ["57", "push rdi", (Action<X64Emitter>)(e => e.Push(Reg.Rdi))],
        ["5b", "pop rbx", (Action<X64Emitter>)(e => e.Pop(Reg.Rbx))],
        ["41 5c", "pop r12", (Action<X64Emitter>)(e => e.Pop(Reg.R12))],
        ["41 5f", "pop r15", (Action<X64Emitter>)(e => e.Pop(Reg.R15))],
        ["5f", "pop rdi", (Action<X64Emitter>)(e => e.Pop(Reg.Rdi))],
        ["c3", "ret", (Action<X64Emitter>)(e => e.Ret())],
        ["0f 01 d0", "xgetbv", (Action<X64Emitter>)(e => e.Xgetbv())],
        ["ff d0", "call rax", (Action<X64Emitter>)(e => e.CallIndirect(Reg.Rax))],
        ["41 ff d3", "call r11", (Action<X64Emitter>)(e => e.CallIndirect(Reg.R11))],
    ];

    public static TheoryData<int> FormIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Forms.Length; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(FormIndices))]
    public void EmitsTheBytesGnuAsProduces(int index)
    {
        var (hex, asm, emit) = ((string)Forms[index][0], (string)Forms[index][1], (Action<X64Emitter>)Forms[index][2]);
        var e = new X64Emitter();
        emit(e);
        Assert.True(hex == Hex(e.ToArray()), $"{asm}: expected {hex}, emitted {Hex(e.ToArray())}");
    }

    [Fact]
    public void JumpsMatchTheGnuAsListing()
    {
        // tools/amx/jumps.s: short backward loop, far forward jumps over 200 bytes, far backward jumps.
        var e = new X64Emitter();
        var top = new Label();
        var farForward = new Label();
        e.Bind(top);
        e.SubImm(Reg.R10, 1);
        e.J(Cond.NE, top);
        e.Jmp(top);
        e.J(Cond.L, farForward);
        e.Jmp(farForward);
        for (int i = 0; i < 200; i++) e.Ret(); // stands in for the 200 nops; only the distance matters
        e.Bind(farForward);
        e.J(Cond.GE, top);
        e.Jmp(top);
        e.Ret();
        byte[] code = e.ToArray();
        string head = Hex(code.AsSpan(0, 4 + 2 + 2 + 6 + 5).ToArray());
        string tail = Hex(code.AsSpan(code.Length - 12).ToArray());
        Assert.Equal("49 83 ea 01 75 fa eb f8 0f 8c cd 00 00 00 e9 c8 00 00 00", head);
        Assert.Equal("0f 8d 1f ff ff ff e9 1a ff ff ff c3", tail);
    }

    [Fact]
    public void RefusesFormsTheHardwareRejects()
    {
        var e = new X64Emitter();
        Assert.Throws<ArgumentException>(() => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm4, Tmm.Tmm0));
        Assert.Throws<ArgumentException>(() => e.Tdpbf16ps(Tmm.Tmm1, Tmm.Tmm2, Tmm.Tmm2));
        Assert.Throws<ArgumentException>(() => e.Tileloadd(Tmm.Tmm0, Mem.At(Reg.Rax)));
        Assert.Throws<ArgumentException>(() => e.Lea(Reg.Rax, Mem.Sib(Reg.Rax, Reg.Rsp)));
        var unbound = new Label();
        e.Jmp(unbound);
        Assert.Throws<InvalidOperationException>(() => e.ToArray());
    }

    internal static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2")));
}
