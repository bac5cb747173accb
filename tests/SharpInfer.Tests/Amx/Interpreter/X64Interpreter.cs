using System.Runtime.InteropServices;
using SharpInfer.Platform.X64;

namespace SharpInfer.Tests.Amx.Interpreter;

/// <summary>
/// A managed interpreter for the x86-64 subset <see cref="X64Emitter"/> produces — general-purpose
/// moves, arithmetic, compares, jumps, push/pop/ret and the AMX tile instructions — decoding the
/// emitted bytes themselves, so tile kernels can be proven on machines without AMX. Memory
/// operands are real addresses (the program reads and writes the caller's buffers); the stack is
/// a private native buffer. Anything outside the subset throws rather than guessing.
/// It lives in the tests: it is a proof tool, never a fallback for users (far too slow).
/// </summary>
internal sealed unsafe class X64Interpreter
{
    private const ulong ReturnSentinel = 0x5EED_0000_0000_0001;
    private const int StackBytes = 64 * 1024;

    private readonly ulong[] _r = new ulong[16];
    private bool _zf, _sf, _cf, _of;
    private byte[] _code = [];
    private int _rip;

    /// <summary>The tile state, which outlives a call as on hardware (a thread's config stays loaded between programs).</summary>
    public TileRegisters Tiles { get; }

    public X64Interpreter(TileRegisters? tiles = null) => Tiles = tiles ?? new TileRegisters();

    /// <summary>
    /// When non-empty, every memory access outside these ranges (and the private stack) throws
    /// <see cref="MemoryGuardException"/>: proof that a kernel touches only the buffers it was given.
    /// </summary>
    public List<(ulong Start, ulong Length)> AllowedMemory { get; } = new();
    private (ulong Start, ulong Length) _stackRange;
    public long InstructionsExecuted { get; private set; }
    public long TileInstructionsExecuted { get; private set; }
    /// <summary>Values of the callee-saved registers must survive a call; the test checks this.</summary>
    public ulong Register(Reg r) => _r[(int)r];

    /// <summary>Runs <paramref name="code"/> from offset 0 as a function of the given convention; returns rax.</summary>
    public ulong Call(byte[] code, X64Abi cc, params ulong[] args)
    {
        if (args.Length > cc.IntArgs.Count) throw new ArgumentException("stack arguments are not supported");
        _code = code;
        _rip = 0;
        var rng = new Random(7);
        for (int i = 0; i < 16; i++) _r[i] = (ulong)rng.NextInt64(); // garbage in every register, as in a real call
        var saved = new ulong[16];
        for (int i = 0; i < args.Length; i++) _r[(int)cc.IntArgs[i]] = args[i];
        byte* stack = (byte*)NativeMemory.AlignedAlloc(StackBytes, 64);
        try
        {
            _r[(int)Reg.Rsp] = (ulong)(stack + StackBytes - 64);
            _stackRange = ((ulong)stack, StackBytes);
            Array.Copy(_r, saved, 16);
            Push(ReturnSentinel);
            while (Step()) { }
            foreach (var r in cc.CalleeSaved)
                if (_r[(int)r] != saved[(int)r]) throw new InvalidOperationException($"callee-saved {r} was not restored");
            if (_r[(int)Reg.Rsp] != saved[(int)Reg.Rsp]) throw new InvalidOperationException("rsp unbalanced at return");
            return _r[(int)Reg.Rax];
        }
        finally
        {
            NativeMemory.AlignedFree(stack);
        }
    }

    private bool Step()
    {
        InstructionsExecuted++;
        int start = _rip;
        byte op = Next();
        if (op == 0xC4) { ExecuteVex(start); return true; }
        int rex = 0;
        if ((op & 0xF0) == 0x40) { rex = op; op = Next(); }
        bool w = (rex & 8) != 0;
        int rexR = (rex & 4) << 1, rexX = (rex & 2) << 2, rexB = (rex & 1) << 3;

        switch (op)
        {
            case 0x01: case 0x29: case 0x39: case 0x85: case 0x89:
            {
                var m = ModRm(rexR, rexX, rexB);
                ulong src = Trunc(_r[m.Reg], w);
                ulong dst = ReadRm(m, w);
                switch (op)
                {
                    case 0x01: WriteRm(m, w, Add(dst, src, w)); break;
                    case 0x29: WriteRm(m, w, Sub(dst, src, w)); break;
                    case 0x39: Sub(dst, src, w); break;
                    case 0x85: Logic(dst & src, w); break;
                    default: WriteRm(m, w, src); break;
                }
                return true;
            }
            case 0x03: case 0x8B:
            {
                var m = ModRm(rexR, rexX, rexB);
                ulong src = ReadRm(m, w);
                SetReg(m.Reg, w, op == 0x03 ? Add(Trunc(_r[m.Reg], w), src, w) : src);
                return true;
            }
            case 0x8D:
            {
                var m = ModRm(rexR, rexX, rexB);
                if (m.IsReg) throw Unsupported(start, "lea with a register operand");
                SetReg(m.Reg, w, (ulong)m.Address);
                return true;
            }
            case 0x05: case 0x2D: case 0x3D:
            {
                ulong imm = SignExtend32(NextInt32(), w);
                ulong a = Trunc(_r[0], w);
                ulong res = op == 0x05 ? Add(a, imm, w) : Sub(a, imm, w);
                if (op != 0x3D) SetReg(0, w, res);
                return true;
            }
            case 0x81: case 0x83:
            {
                var m = ModRm(rexR, rexX, rexB);
                ulong imm = op == 0x83 ? SignExtend8(Next(), w) : SignExtend32(NextInt32(), w);
                ulong a = ReadRm(m, w);
                switch (m.RegField)
                {
                    case 0: WriteRm(m, w, Add(a, imm, w)); break;
                    case 5: WriteRm(m, w, Sub(a, imm, w)); break;
                    case 7: Sub(a, imm, w); break;
                    default: throw Unsupported(start, $"group-1 /{m.RegField}");
                }
                return true;
            }
            case 0xC7:
            {
                var m = ModRm(rexR, rexX, rexB);
                if (m.RegField != 0) throw Unsupported(start, "C7 /" + m.RegField);
                WriteRm(m, w, SignExtend32(NextInt32(), w));
                return true;
            }
            case >= 0xB8 and <= 0xBF:
            {
                int r = (op - 0xB8) | rexB;
                SetReg(r, w, w ? (ulong)NextInt64() : (uint)NextInt32());
                return true;
            }
            case 0x69: case 0x6B:
            {
                var m = ModRm(rexR, rexX, rexB);
                long imm = op == 0x6B ? (sbyte)Next() : NextInt32();
                SetReg(m.Reg, w, Mul(ReadRm(m, w), (ulong)imm, w));
                return true;
            }
            case 0x0F:
            {
                byte op2 = Next();
                if (op2 == 0xAF)
                {
                    var m = ModRm(rexR, rexX, rexB);
                    SetReg(m.Reg, w, Mul(Trunc(_r[m.Reg], w), ReadRm(m, w), w));
                    return true;
                }
                if (op2 is >= 0x80 and <= 0x8F)
                {
                    int rel = NextInt32();
                    if (Condition(op2 & 0xF, start)) _rip += rel;
                    return true;
                }
                throw Unsupported(start, $"0F {op2:x2}");
            }
            case >= 0x70 and <= 0x7F:
            {
                int rel = (sbyte)Next();
                if (Condition(op & 0xF, start)) _rip += rel;
                return true;
            }
            case 0xEB: { int rel = (sbyte)Next(); _rip += rel; return true; }
            case 0xE9: { int rel = NextInt32(); _rip += rel; return true; }
            case >= 0x50 and <= 0x57: Push(_r[(op - 0x50) | rexB]); return true;
            case >= 0x58 and <= 0x5F: _r[(op - 0x58) | rexB] = Pop(); return true;
            case 0xC3:
            {
                ulong target = Pop();
                if (target != ReturnSentinel) throw Unsupported(start, "ret to anything but the caller");
                return false;
            }
            default:
                throw Unsupported(start, $"opcode {op:x2}");
        }
    }

    private void ExecuteVex(int start)
    {
        TileInstructionsExecuted++;
        byte b1 = Next(), b2 = Next();
        int rexR = (b1 & 0x80) == 0 ? 8 : 0, rexX = (b1 & 0x40) == 0 ? 8 : 0, rexB = (b1 & 0x20) == 0 ? 8 : 0;
        if ((b1 & 0x1F) != 2) throw Unsupported(start, "VEX map other than 0F38");
        if ((b2 & 0x84) != 0) throw Unsupported(start, "VEX.W1 or VEX.L1");
        int vvvv = ~(b2 >> 3) & 0xF;
        int pp = b2 & 3;
        byte op = Next();
        var m = ModRm(rexR, rexX, rexB);
        switch (op, pp)
        {
            case (0x49, 0) when !m.IsReg:
                RequireNoVvvv(vvvv, start);
                Guard(m.Address, 64, start);
                Tiles.LoadConfig(new ReadOnlySpan<byte>((void*)m.Address, 64));
                return;
            case (0x49, 1) when !m.IsReg:
                RequireNoVvvv(vvvv, start);
                Guard(m.Address, 64, start);
                Tiles.StoreConfig(new Span<byte>((void*)m.Address, 64));
                return;
            case (0x49, 0) when m.IsReg && m.Reg == 0 && m.Rm == 0:
                Tiles.Release();
                return;
            case (0x49, 3) when m.IsReg && m.Rm == 0:
                Tiles.Zero(Tile(m.Reg, start));
                return;
            case (0x4B, 3 or 1 or 2) when !m.IsReg:
                if (!m.HasIndex) throw Unsupported(start, "tile load/store without SIB index (#UD)");
                RequireNoVvvv(vvvv, start);
                byte* startAddr = (byte*)m.BasePlusDisp;
                long stride = (long)m.IndexTimesScale;
                int t = Tile(m.Reg, start);
                for (int r = 0; r < Tiles.Rows(t); r++) Guard((ulong)(startAddr + r * stride), (ulong)Tiles.Colsb(t), start);
                if (pp == 2) Tiles.Store(Tile(m.Reg, start), startAddr, stride);
                else Tiles.Load(Tile(m.Reg, start), startAddr, stride);
                return;
            case (0x5E, _) when m.IsReg:
            {
                int c = Tile(m.Reg, start), a = Tile(m.Rm, start), b = Tile(vvvv, start);
                var (aSigned, bSigned, name) = pp switch
                {
                    3 => (true, true, "tdpbssd"),
                    2 => (true, false, "tdpbsud"),
                    1 => (false, true, "tdpbusd"),
                    _ => (false, false, "tdpbuud"),
                };
                Tiles.DotInt8(c, a, b, aSigned, bSigned, name);
                return;
            }
            case (0x5C, 2) when m.IsReg:
                Tiles.DotBf16(Tile(m.Reg, start), Tile(m.Rm, start), Tile(vvvv, start));
                return;
            default:
                throw Unsupported(start, $"VEX.0F38 {op:x2} pp={pp}");
        }
    }

    private int Tile(int r, int start) => r < 8 ? r : throw Unsupported(start, $"tile register {r}");
    private void RequireNoVvvv(int vvvv, int start) { if (vvvv != 0) throw Unsupported(start, "VEX.vvvv must be 1111b"); }

    // ---- operands ----------------------------------------------------------------------------

    private readonly record struct Operand(bool IsReg, int Reg, int RegField, int Rm, ulong Address,
        bool HasIndex, ulong BasePlusDisp, ulong IndexTimesScale);

    private Operand ModRm(int rexR, int rexX, int rexB)
    {
        byte modrm = Next();
        int mod = modrm >> 6, regField = (modrm >> 3) & 7, rm = modrm & 7;
        int reg = regField | rexR;
        if (mod == 3) return new Operand(true, reg, regField, rm | rexB, 0, false, 0, 0);
        ulong baseValue;
        ulong indexPart = 0;
        bool hasIndex = false;
        if (rm == 4)
        {
            byte sib = Next();
            int scale = 1 << (sib >> 6), index = ((sib >> 3) & 7) | rexX, b = (sib & 7) | rexB;
            if (index != 4) { hasIndex = true; indexPart = _r[index] * (ulong)scale; }
            if ((b & 7) == 5 && mod == 0) throw new NotSupportedException("SIB without base");
            baseValue = _r[b];
        }
        else
        {
            if (rm == 5 && mod == 0) throw new NotSupportedException("RIP-relative addressing");
            baseValue = _r[rm | rexB];
        }
        long disp = mod == 1 ? (sbyte)Next() : mod == 2 ? NextInt32() : 0;
        ulong bpd = baseValue + (ulong)disp;
        return new Operand(false, reg, regField, rm, bpd + indexPart, hasIndex, bpd, indexPart);
    }

    private ulong ReadRm(Operand m, bool w)
    {
        if (m.IsReg) return Trunc(_r[m.Rm], w);
        Guard(m.Address, w ? 8UL : 4UL, _rip);
        return w ? *(ulong*)m.Address : *(uint*)m.Address;
    }

    private void WriteRm(Operand m, bool w, ulong v)
    {
        if (m.IsReg) { SetReg(m.Rm, w, v); return; }
        Guard(m.Address, w ? 8UL : 4UL, _rip);
        if (w) *(ulong*)m.Address = v;
        else *(uint*)m.Address = (uint)v;
    }

    /// <summary>32-bit writes zero the upper half, as in 64-bit mode.</summary>
    private void SetReg(int r, bool w, ulong v) => _r[r] = w ? v : (uint)v;

    private static ulong Trunc(ulong v, bool w) => w ? v : (uint)v;
    private static ulong SignExtend8(byte b, bool w) => Trunc((ulong)(long)(sbyte)b, w);
    private static ulong SignExtend32(int v, bool w) => Trunc((ulong)(long)v, w);

    // ---- flags -------------------------------------------------------------------------------

    private ulong Add(ulong a, ulong b, bool w)
    {
        ulong res = Trunc(a + b, w);
        ulong sign = w ? 1UL << 63 : 1UL << 31;
        _cf = res < a;
        _of = ((a ^ res) & (b ^ res) & sign) != 0;
        SetZs(res, w);
        return res;
    }

    private ulong Sub(ulong a, ulong b, bool w)
    {
        ulong res = Trunc(a - b, w);
        ulong sign = w ? 1UL << 63 : 1UL << 31;
        _cf = a < b;
        _of = ((a ^ b) & (a ^ res) & sign) != 0;
        SetZs(res, w);
        return res;
    }

    private void Logic(ulong res, bool w) { _cf = _of = false; SetZs(res, w); }

    private ulong Mul(ulong a, ulong b, bool w)
    {
        Int128 full = w ? (Int128)(long)a * (long)b : (Int128)(int)(uint)a * (int)(uint)b;
        ulong res = Trunc((ulong)(long)full, w);
        long asSigned = w ? (long)res : (int)(uint)res;
        _cf = _of = full != asSigned;
        SetZs(res, w);
        return res;
    }

    private void SetZs(ulong res, bool w)
    {
        _zf = res == 0;
        _sf = (res & (w ? 1UL << 63 : 1UL << 31)) != 0;
    }

    private bool Condition(int cc, int start) => (Cond)cc switch
    {
        Cond.O => _of, Cond.NO => !_of,
        Cond.B => _cf, Cond.AE => !_cf,
        Cond.E => _zf, Cond.NE => !_zf,
        Cond.BE => _cf || _zf, Cond.A => !_cf && !_zf,
        Cond.S => _sf, Cond.NS => !_sf,
        Cond.L => _sf != _of, Cond.GE => _sf == _of,
        Cond.LE => _zf || _sf != _of, Cond.G => !_zf && _sf == _of,
        _ => throw Unsupported(start, "parity conditions"),
    };

    // ---- stack and fetch ---------------------------------------------------------------------

    private void Guard(ulong address, ulong length, int at)
    {
        if (AllowedMemory.Count == 0 || length == 0) return;
        if (Inside(_stackRange, address, length)) return;
        foreach (var range in AllowedMemory)
            if (Inside(range, address, length)) return;
        throw new MemoryGuardException($"access of {length} bytes at 0x{address:x} (near code offset {at}) is outside every allowed buffer");
    }

    private static bool Inside((ulong Start, ulong Length) r, ulong address, ulong length) =>
        address >= r.Start && address + length <= r.Start + r.Length;

    private void Push(ulong v)
    {
        Guard(_r[(int)Reg.Rsp] - 8, 8, _rip);
        _r[(int)Reg.Rsp] -= 8;
        *(ulong*)_r[(int)Reg.Rsp] = v;
    }

    private ulong Pop()
    {
        Guard(_r[(int)Reg.Rsp], 8, _rip);
        ulong v = *(ulong*)_r[(int)Reg.Rsp];
        _r[(int)Reg.Rsp] += 8;
        return v;
    }

    private byte Next()
    {
        if ((uint)_rip >= (uint)_code.Length) throw new InvalidOperationException($"execution ran off the code at {_rip}");
        return _code[_rip++];
    }

    private int NextInt32() { int v = Next() | (Next() << 8) | (Next() << 16) | (Next() << 24); return v; }
    private long NextInt64() { long lo = (uint)NextInt32(); long hi = (uint)NextInt32(); return lo | (hi << 32); }

    private NotSupportedException Unsupported(int at, string what) =>
        new($"interpreter: {what} at offset {at} (bytes {Convert.ToHexString(_code, at, Math.Min(8, _code.Length - at))})");
}

/// <summary>A kernel touched memory outside the buffers it was given.</summary>
internal sealed class MemoryGuardException(string message) : Exception(message);
