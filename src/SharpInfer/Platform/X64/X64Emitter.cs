namespace SharpInfer.Platform.X64;

/// <summary>
/// Emits the small x86-64 subset the AMX kernels need, byte-for-byte as GNU <c>as</c> 2.40 encodes
/// the same Intel-syntax listing (golden tests pin this; tools/amx/regen-golden.sh regenerates them).
/// Operand width: the <c>wide</c> flag selects 64-bit (REX.W) forms, otherwise 32-bit forms.
/// Jumps: backward jumps use rel8 when the target is near; forward jumps always use rel32
/// (GNU as relaxes forward jumps too, so golden tests only pin far forward jumps).
/// </summary>
internal sealed partial class X64Emitter
{
    private readonly List<byte> _code = new(256);
    private readonly List<(int At, Label Target)> _fixups = new();

    public int Position => _code.Count;

    /// <summary>The emitted bytes; throws while a forward jump's label is unbound.</summary>
    public byte[] ToArray()
    {
        foreach (var (at, target) in _fixups)
            if (!target.IsBound) throw new InvalidOperationException("jump to an unbound label");
        return _code.ToArray();
    }

    public void Bind(Label label)
    {
        if (label.IsBound) throw new InvalidOperationException("label bound twice");
        label.Offset = _code.Count;
        foreach (var (at, target) in _fixups)
            if (target == label) WriteInt32At(at, label.Offset - (at + 4));
    }

    // ---- general purpose -------------------------------------------------------------------

    /// <summary><c>mov dst, src</c> (register to register, encoded 89 /r as GNU as does).</summary>
    public void Mov(Reg dst, Reg src, bool wide = true) => RegRm(0x89, src, dst, wide);

    /// <summary><c>mov dst, imm</c>: C7 /0 when the value sign-extends from 32 bits, else movabs.</summary>
    public void MovImm(Reg dst, long imm)
    {
        if (imm is >= int.MinValue and <= int.MaxValue)
        {
            Rex(true, 0, 0, (int)dst);
            Byte(0xC7); ModRmReg(0, (int)dst);
            Int32((int)imm);
        }
        else
        {
            Rex(true, 0, 0, (int)dst);
            Byte((byte)(0xB8 + ((int)dst & 7)));
            Int64(imm);
        }
    }

    /// <summary><c>mov dst32, imm32</c> (B8+r; zero-extends into the full register).</summary>
    public void MovImm32(Reg dst, int imm)
    {
        Rex(false, 0, 0, (int)dst);
        Byte((byte)(0xB8 + ((int)dst & 7)));
        Int32(imm);
    }

    public void Load(Reg dst, Mem src, bool wide = true) => RegMem(0x8B, (int)dst, src, wide);

    /// <summary>Loads 64-bit fields of the argument struct at <paramref name="args"/>: each register from its offset.</summary>
    public void LoadFields(Reg args, params ReadOnlySpan<(Reg Dst, int Offset)> fields)
    {
        foreach (var (dst, offset) in fields) Load(dst, Mem.At(args, offset));
    }
    public void Store(Mem dst, Reg src, bool wide = true) => RegMem(0x89, (int)src, dst, wide);
    public void Lea(Reg dst, Mem src) => RegMem(0x8D, (int)dst, src, true);

    public void Add(Reg dst, Reg src, bool wide = true) => RegRm(0x01, src, dst, wide);
    public void Sub(Reg dst, Reg src, bool wide = true) => RegRm(0x29, src, dst, wide);
    public void Cmp(Reg a, Reg b, bool wide = true) => RegRm(0x39, b, a, wide);
    public void Test(Reg a, Reg b, bool wide = true) => RegRm(0x85, b, a, wide);
    public void Add(Reg dst, Mem src, bool wide = true) => RegMem(0x03, (int)dst, src, wide);

    public void Or(Reg dst, Reg src, bool wide = true) => RegRm(0x09, src, dst, wide);

    /// <summary><c>movzx dst32, word [m]</c> (0F B7): the 16 bits at m, zero-extended (to 64 bits, as every 32-bit write).</summary>
    public void Movzx16(Reg dst, Mem src)
    {
        Rex(false, (int)dst, src.Index is { } ix ? (int)ix : 0, (int)src.Base);
        Byte(0x0F); Byte(0xB7);
        ModRmMem((int)dst, src);
    }

    /// <summary><c>and dst, imm32</c> (81 /4 id; 64-bit: sign-extended).</summary>
    public void AndImm(Reg dst, int imm, bool wide = true)
    {
        Rex(wide, 0, 0, (int)dst);
        Byte(0x81); ModRmReg(4, (int)dst); Int32(imm);
    }

    /// <summary><c>shr dst, imm</c> (C1 /5 ib).</summary>
    public void ShrImm(Reg dst, byte imm, bool wide = true)
    {
        Rex(wide, 0, 0, (int)dst);
        Byte(0xC1); ModRmReg(5, (int)dst); Byte(imm);
    }

    /// <summary><c>pdep dst, src, mask</c> (BMI2, VEX.LZ.F2.0F38.W1 F5): the low bits of src deposited at mask's set bits.</summary>
    public void Pdep(Reg dst, Reg src, Reg mask)
    {
        Byte(0xC4);
        Byte((byte)((((int)dst & 8) == 0 ? 0x80 : 0) | 0x40 | (((int)mask & 8) == 0 ? 0x20 : 0) | 0x02));
        Byte((byte)(0x80 | ((~(int)src & 0xF) << 3) | PpF2));
        Byte(0xF5);
        ModRmReg((int)dst, (int)mask);
    }

    /// <summary><c>shl dst, imm</c> (C1 /4 ib).</summary>
    public void ShlImm(Reg dst, byte imm, bool wide = true)
    {
        Rex(wide, 0, 0, (int)dst);
        Byte(0xC1); ModRmReg(4, (int)dst); Byte(imm);
    }

    public void AddImm(Reg dst, int imm, bool wide = true) => AluImm(0, 0x05, dst, imm, wide);
    public void SubImm(Reg dst, int imm, bool wide = true) => AluImm(5, 0x2D, dst, imm, wide);
    public void CmpImm(Reg dst, int imm, bool wide = true) => AluImm(7, 0x3D, dst, imm, wide);

    /// <summary><c>imul dst, src</c> (0F AF /r).</summary>
    public void Imul(Reg dst, Reg src, bool wide = true)
    {
        Rex(wide, (int)dst, 0, (int)src);
        Byte(0x0F); Byte(0xAF); ModRmReg((int)dst, (int)src);
    }

    /// <summary><c>imul dst, src, imm</c> (6B ib or 69 id).</summary>
    public void ImulImm(Reg dst, Reg src, int imm, bool wide = true)
    {
        Rex(wide, (int)dst, 0, (int)src);
        bool small = imm is >= sbyte.MinValue and <= sbyte.MaxValue;
        Byte(small ? (byte)0x6B : (byte)0x69); ModRmReg((int)dst, (int)src);
        if (small) Byte((byte)(sbyte)imm); else Int32(imm);
    }

    /// <summary><c>prefetcht0 [m]</c> (0F 18 /1): a hint, never a fault.</summary>
    public void Prefetcht0(Mem m) => Prefetch(1, m);

    /// <summary><c>prefetcht1 [m]</c> (0F 18 /2): into L2 and outward.</summary>
    public void Prefetcht1(Mem m) => Prefetch(2, m);

    private void Prefetch(int hint, Mem m)
    {
        Rex(false, hint, m.Index is { } ix ? (int)ix : 0, (int)m.Base);
        Byte(0x0F); Byte(0x18);
        ModRmMem(hint, m);
    }

    /// <summary><c>call r64</c> (FF /2): for test harnesses that call emitted code; the kernels themselves make no calls.</summary>
    public void CallIndirect(Reg r) { Rex(false, 0, 0, (int)r); Byte(0xFF); Byte((byte)(0xD0 + ((int)r & 7))); }

    public void Push(Reg r) { Rex(false, 0, 0, (int)r); Byte((byte)(0x50 + ((int)r & 7))); }
    public void Pop(Reg r) { Rex(false, 0, 0, (int)r); Byte((byte)(0x58 + ((int)r & 7))); }
    public void Ret() => Byte(0xC3);

    /// <summary><c>xgetbv</c>: EDX:EAX = XCR[ECX]; used to ask the OS which state it saves.</summary>
    public void Xgetbv() { Byte(0x0F); Byte(0x01); Byte(0xD0); }

    public void Jmp(Label target) => Jump(target, 0xEB, [0xE9]);
    public void J(Cond cc, Label target) => Jump(target, (byte)(0x70 + (int)cc), [0x0F, (byte)(0x80 + (int)cc)]);

    // ---- AMX -------------------------------------------------------------------------------
    // All AMX forms are VEX.128.0F38.W0 with pp selecting the instruction within an opcode.

    private const int PpNone = 0, Pp66 = 1, PpF3 = 2, PpF2 = 3;

    public void Ldtilecfg(Mem cfg) => VexMem(PpNone, 0x49, 0, 0, cfg);
    public void Sttilecfg(Mem cfg) => VexMem(Pp66, 0x49, 0, 0, cfg);
    public void Tilerelease() { Vex(0, 0, 0, 0, PpNone); Byte(0x49); Byte(0xC0); }
    public void Tilezero(Tmm t) { Vex((int)t, 0, 0, 0, PpF2); Byte(0x49); ModRmReg((int)t, 0); }

    /// <summary><c>tileloadd t, [base + index*scale + disp]</c>; index*scale is the row stride.</summary>
    public void Tileloadd(Tmm t, Mem src) => VexMem(PpF2, 0x4B, (int)t, 0, RequireSib(src));
    public void Tileloaddt1(Tmm t, Mem src) => VexMem(Pp66, 0x4B, (int)t, 0, RequireSib(src));
    public void Tilestored(Mem dst, Tmm t) => VexMem(PpF3, 0x4B, (int)t, 0, RequireSib(dst));

    /// <summary><c>tdpbssd c, a, b</c>: c[m,n] += Σ a[m,4k+i]·b[k,4n+i], both signed.</summary>
    public void Tdpbssd(Tmm c, Tmm a, Tmm b) => TileOp(PpF2, 0x5E, c, a, b);
    public void Tdpbsud(Tmm c, Tmm a, Tmm b) => TileOp(PpF3, 0x5E, c, a, b);
    public void Tdpbusd(Tmm c, Tmm a, Tmm b) => TileOp(Pp66, 0x5E, c, a, b);
    public void Tdpbuud(Tmm c, Tmm a, Tmm b) => TileOp(PpNone, 0x5E, c, a, b);
    public void Tdpbf16ps(Tmm c, Tmm a, Tmm b) => TileOp(PpF3, 0x5C, c, a, b);

    private void TileOp(int pp, byte op, Tmm c, Tmm a, Tmm b)
    {
        if (c == a || c == b || a == b)
            throw new ArgumentException("tile dot products need three distinct tiles (#UD otherwise)");
        Vex((int)c, 0, (int)a, (int)b, pp);
        Byte(op); ModRmReg((int)c, (int)a);
    }

    private static Mem RequireSib(Mem m)
    {
        if (m.Index is null) throw new ArgumentException("tile loads and stores need an index register (the row stride)");
        return m;
    }

    private void VexMem(int pp, byte op, int reg, int vvvv, Mem m)
    {
        Vex(reg, m.Index is { } ix ? (int)ix : 0, (int)m.Base, vvvv, pp);
        Byte(op);
        ModRmMem(reg, m);
    }

    /// <summary>3-byte VEX, map 0F38, W0, L0; R/X/B and vvvv stored inverted.</summary>
    private void Vex(int reg, int index, int rm, int vvvv, int pp)
    {
        Byte(0xC4);
        Byte((byte)(((reg & 8) == 0 ? 0x80 : 0) | ((index & 8) == 0 ? 0x40 : 0) | ((rm & 8) == 0 ? 0x20 : 0) | 0x02));
        Byte((byte)(((~vvvv & 0xF) << 3) | pp));
    }

    // ---- encoding helpers ------------------------------------------------------------------

    private void AluImm(int ext, byte raxShortForm, Reg dst, int imm, bool wide)
    {
        Rex(wide, 0, 0, (int)dst);
        if (imm is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            Byte(0x83); ModRmReg(ext, (int)dst); Byte((byte)(sbyte)imm);
        }
        else if (dst == Reg.Rax)
        {
            Byte(raxShortForm); Int32(imm);
        }
        else
        {
            Byte(0x81); ModRmReg(ext, (int)dst); Int32(imm);
        }
    }

    private void RegRm(byte op, Reg reg, Reg rm, bool wide)
    {
        Rex(wide, (int)reg, 0, (int)rm);
        Byte(op); ModRmReg((int)reg, (int)rm);
    }

    private void RegMem(byte op, int reg, Mem m, bool wide)
    {
        Rex(wide, reg, m.Index is { } ix ? (int)ix : 0, (int)m.Base);
        Byte(op);
        ModRmMem(reg, m);
    }

    private void Rex(bool w, int reg, int index, int rm)
    {
        int rex = (w ? 8 : 0) | ((reg & 8) >> 1) | ((index & 8) >> 2) | ((rm & 8) >> 3);
        if (rex != 0) Byte((byte)(0x40 | rex));
    }

    private void ModRmReg(int reg, int rm) => Byte((byte)(0xC0 | ((reg & 7) << 3) | (rm & 7)));

    private void ModRmMem(int reg, Mem m)
    {
        int b = (int)m.Base;
        // rbp/r13 as base have no disp0 form; rsp/r12 as base always need a SIB byte.
        int mod = m.Disp == 0 && (b & 7) != 5 ? 0 : m.Disp is >= sbyte.MinValue and <= sbyte.MaxValue ? 1 : 2;
        bool sib = m.Index is not null || (b & 7) == 4;
        Byte((byte)((mod << 6) | ((reg & 7) << 3) | (sib ? 4 : b & 7)));
        if (sib)
        {
            int index = 4; // "no index"
            if (m.Index is { } ix)
            {
                if (ix == Reg.Rsp) throw new ArgumentException("rsp cannot be an index register");
                index = (int)ix & 7;
            }
            int ss = m.Scale switch
            {
                1 => 0, 2 => 1, 4 => 2, 8 => 3,
                _ => throw new ArgumentException("scale must be 1, 2, 4 or 8"),
            };
            Byte((byte)((ss << 6) | (index << 3) | (b & 7)));
        }
        if (mod == 1) Byte((byte)(sbyte)m.Disp);
        else if (mod == 2) Int32(m.Disp);
    }

    private void Jump(Label target, byte shortOp, byte[] nearOp)
    {
        if (target.IsBound)
        {
            int rel8 = target.Offset - (Position + 2);
            if (rel8 >= sbyte.MinValue)
            {
                Byte(shortOp); Byte((byte)(sbyte)rel8);
                return;
            }
            foreach (var b in nearOp) Byte(b);
            Int32(target.Offset - (Position + 4));
            return;
        }
        foreach (var b in nearOp) Byte(b);
        _fixups.Add((Position, target));
        Int32(0);
    }

    private void Byte(byte b) => _code.Add(b);
    private void Int32(int v) { for (int i = 0; i < 4; i++) _code.Add((byte)(v >> (8 * i))); }
    private void Int64(long v) { for (int i = 0; i < 8; i++) _code.Add((byte)(v >> (8 * i))); }

    private void WriteInt32At(int at, int v)
    {
        for (int i = 0; i < 4; i++) _code[at + i] = (byte)(v >> (8 * i));
    }
}
