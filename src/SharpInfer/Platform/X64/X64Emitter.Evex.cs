namespace SharpInfer.Platform.X64;

/// <summary>
/// The AVX-512 (EVEX) vector forms the VNNI kernels need, on vector registers 0–31 (xmm/ymm by <see cref="VecWidth"/>).
/// Encodings follow the Intel SDM and are pinned against GNU as in the golden tests, including the compressed
/// 8-bit displacement (disp8·N, N = bytes the memory operand covers) EVEX uses.
/// </summary>
internal sealed partial class X64Emitter
{
    private const int Map0F = 1, Map0F38 = 2, Map0F3A = 3;

    // ---- moves --------------------------------------------------------------------------------

    /// <summary><c>vmovdqu32 v, [m]</c>.</summary>
    public void Vmovdqu32(int v, Mem src, VecWidth w = VecWidth.Y) => EvexMem(Map0F, PpF3, 0x6F, v, 0, src, w, (int)w);

    /// <summary><c>vmovdqu32 [m], v</c>.</summary>
    public void Vmovdqu32(Mem dst, int v, VecWidth w = VecWidth.Y) => EvexMem(Map0F, PpF3, 0x7F, v, 0, dst, w, (int)w);

    /// <summary><c>vmovdqa32 dst, src</c> (register copy).</summary>
    public void Vmovdqa32(int dst, int src, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0x6F, dst, 0, src, w);

    /// <summary><c>vpbroadcastd v, r32</c>.</summary>
    public void Vpbroadcastd(int v, Reg src, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0x7C, v, 0, (int)src, w);

    /// <summary>vpbroadcastd v, dword [m] (EVEX 0F38 58; disp8 scaled by 4).</summary>
    public void Vpbroadcastd(int v, Mem src, VecWidth w = VecWidth.Y) => EvexMem(Map0F38, Pp66, 0x58, v, 0, src, w, 4);

    /// <summary><c>vbroadcastss dst, xmm src</c>.</summary>
    public void Vbroadcastss(int dst, int src, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0x18, dst, 0, src, w);

    /// <summary><c>vinserti32x4 dst, a, xmm b, imm</c> (ymm: imm 0 or 1 picks the 128-bit half).</summary>
    public void Vinserti32x4(int dst, int a, int b, byte imm)
    {
        EvexReg(Map0F3A, Pp66, 0x38, dst, a, b, VecWidth.Y);
        Byte(imm);
    }

    /// <summary><c>vinserti32x4 ymm dst, a, xmmword [m], imm</c>: a with its 128-bit half imm replaced by the 16 bytes at m.</summary>
    public void Vinserti32x4(int dst, int a, Mem b, byte imm)
    {
        EvexMem(Map0F3A, Pp66, 0x38, dst, a, b, VecWidth.Y, 16);
        Byte(imm);
    }

    /// <summary><c>vbroadcasti32x4 ymm, xmmword [m]</c>: the 16 bytes at m in both 128-bit halves (a load, no shuffle).</summary>
    public void Vbroadcasti32x4(int dst, Mem src) => EvexMem(Map0F38, Pp66, 0x5A, dst, 0, src, VecWidth.Y, 16);

    /// <summary><c>vmovq xmm, r64</c> (EVEX.128.66.0F.W1 6E): the register's 64 bits into lane 0, the rest zeroed.</summary>
    public void Vmovq(int dst, Reg src)
    {
        CheckVec(dst);
        Evex(Map0F, Pp66, dst, 0, rmLow: (int)src, rmHigh4: 0, VecWidth.X, broadcast: false, w1: true);
        Byte(0x6E);
        ModRmReg(dst, (int)src);
    }

    /// <summary><c>vpermps ymm dst, idx, table</c>: lane i = table[idx[i] mod 8].</summary>
    public void Vpermps(int dst, int idx, int table) => EvexReg(Map0F38, Pp66, 0x16, dst, idx, table, VecWidth.Y);

    // ---- integer --------------------------------------------------------------------------------

    public void Vpxord(int dst, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0xEF, dst, a, b, w);
    public void Vpxord(int dst, int a, Mem b, VecWidth w = VecWidth.Y) => EvexMem(Map0F, Pp66, 0xEF, dst, a, b, w, (int)w);
    public void Vpandd(int dst, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0xDB, dst, a, b, w);
    public void Vpord(int dst, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0xEB, dst, a, b, w);

    /// <summary><c>kmovd k, dword [m]</c> (VEX.L0.66.0F.W1 90): 32 bits into an opmask register.</summary>
    public void Kmovd(int k, Mem src)
    {
        if ((uint)k > 7) throw new ArgumentOutOfRangeException(nameof(k), $"opmask register {k} (0–7)");
        int b = (int)src.Base, x = src.Index is { } ix ? (int)ix : 0;
        Byte(0xC4);
        Byte((byte)(((x & 8) == 0 ? 0x40 : 0) | ((b & 8) == 0 ? 0x20 : 0) | 0x80 | Map0F));
        Byte(0xF9); // W1, vvvv unused, L0, pp 66
        Byte(0x90);
        ModRmMem(k, src);
    }

    /// <summary><c>vpmovm2b v, k</c>: byte j = 0xFF where bit j of k is set, else 0.</summary>
    public void Vpmovm2b(int dst, int k, VecWidth w = VecWidth.Y)
    {
        if ((uint)k > 7) throw new ArgumentOutOfRangeException(nameof(k), $"opmask register {k} (0–7)");
        EvexReg(Map0F38, PpF3, 0x28, dst, 0, k, w);
    }
    public void Vpsubd(int dst, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0xFA, dst, a, b, w);

    /// <summary><c>vpaddd dst, a, b</c>: int32 lanes added (wrapping).</summary>
    public void Vpaddd(int dst, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F, Pp66, 0xFE, dst, a, b, w);

    /// <summary><c>vpdpbusd acc, u, s</c>: acc.i32[k] += Σ u.u8[4k+i]·s.i8[4k+i] (AVX512_VNNI).</summary>
    public void Vpdpbusd(int acc, int u, int s, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0x50, acc, u, s, w);
    public void Vpdpbusd(int acc, int u, Mem s, VecWidth w = VecWidth.Y) => EvexMem(Map0F38, Pp66, 0x50, acc, u, s, w, (int)w);

    /// <summary><c>vpmaddubsw dst, u, s</c> (AVX512BW): int16 lane k = sat(u.u8[2k]·s.i8[2k] + u.u8[2k+1]·s.i8[2k+1]).</summary>
    public void Vpmaddubsw(int dst, int u, int s, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0x04, dst, u, s, w);

    /// <summary>
    /// <c>vpdpwssd acc, a, dword [m]{1toN}</c> (AVX512_VNNI): acc.i32[k] += a.i16[2k]·b.i16[2k] + a.i16[2k+1]·b.i16[2k+1],
    /// b the dword at m in every lane (ggml's madd-then-add in one operation).
    /// </summary>
    public void VpdpwssdBroadcast(int acc, int a, Mem b, VecWidth w = VecWidth.Y) => EvexMem(Map0F38, Pp66, 0x52, acc, a, b, w, 4, broadcast: true);

    /// <summary><c>vpmovzxbw xmm dst, xmm src</c>: the low 8 bytes zero-extended to int16.</summary>
    public void Vpmovzxbw(int dst, int src) => EvexReg(Map0F38, Pp66, 0x30, dst, 0, src, VecWidth.X);

    /// <summary><c>vpmaddwd dst, a, b</c>: int32 lane k = a.i16[2k]·b.i16[2k] + a.i16[2k+1]·b.i16[2k+1].</summary>
    public void Vpmaddwd(int dst, int a, int b, VecWidth w = VecWidth.X) => EvexReg(Map0F, Pp66, 0xF5, dst, a, b, w);

    /// <summary><c>vpackssdw xmm dst, a, b</c>: a's then b's int32 lanes saturated to int16.</summary>
    public void Vpackssdw(int dst, int a, int b) => EvexReg(Map0F, Pp66, 0x6B, dst, a, b, VecWidth.X);

    /// <summary><c>vpsrlw dst, src, imm</c> (EVEX puts the destination in vvvv, /2 in ModRM.reg).</summary>
    public void Vpsrlw(int dst, int src, byte imm, VecWidth w = VecWidth.Y)
    {
        EvexReg(Map0F, Pp66, 0x71, 2, dst, src, w);
        Byte(imm);
    }

    // ---- float -----------------------------------------------------------------------------------

    public void Vcvtdq2ps(int dst, int src, VecWidth w = VecWidth.Y) => EvexReg(Map0F, PpNone, 0x5B, dst, 0, src, w);

    /// <summary><c>vcvtph2ps dst, src</c> (register form): the low w/4 halves of src to floats (ymm ← xmm).</summary>
    public void Vcvtph2ps(int dst, int src, VecWidth w) => EvexReg(Map0F38, Pp66, 0x13, dst, 0, src, w);

    /// <summary><c>vcvtph2ps xmm dst, qword [m]</c>: four halves to floats (F16C semantics, exact).</summary>
    public void Vcvtph2ps(int dst, Mem src) => EvexMem(Map0F38, Pp66, 0x13, dst, 0, src, VecWidth.X, 8);

    /// <summary>vcvtph2ps of w/4 halves from memory (zmm ← 32 bytes, ymm ← 16); disp8 scaled by the half-width operand.</summary>
    public void Vcvtph2ps(int dst, Mem src, VecWidth w) => EvexMem(Map0F38, Pp66, 0x13, dst, 0, src, w, (int)w / 2);

    /// <summary><c>vmulps dst, a, dword [m]{1toN}</c>: a times the float at m broadcast to every lane.</summary>
    public void VmulpsBroadcast(int dst, int a, Mem b, VecWidth w = VecWidth.Y) => EvexMem(Map0F, PpNone, 0x59, dst, a, b, w, 4, broadcast: true);

    /// <summary><c>vfmadd231ps acc, a, b</c>: acc += a·b, one rounding.</summary>
    public void Vfmadd231ps(int acc, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0xB8, acc, a, b, w);

    /// <summary><c>vfnmadd231ps acc, a, b</c>: acc = −(a·b) + acc, one rounding (= FMA with −a: negation is exact).</summary>
    public void Vfnmadd231ps(int acc, int a, int b, VecWidth w = VecWidth.Y) => EvexReg(Map0F38, Pp66, 0xBC, acc, a, b, w);

    /// <summary><c>vpermilps xmm dst, src, imm</c>: lane i = src[imm bits 2i..2i+1].</summary>
    public void Vpermilps(int dst, int src, byte imm)
    {
        EvexReg(Map0F3A, Pp66, 0x04, dst, 0, src, VecWidth.X);
        Byte(imm);
    }

    /// <summary><c>vfmadd231ps acc, a, dword [m]{1toN}</c>: acc += a·(the float at m), one rounding.</summary>
    public void Vfmadd231psBroadcast(int acc, int a, Mem b, VecWidth w = VecWidth.Y) => EvexMem(Map0F38, Pp66, 0xB8, acc, a, b, w, 4, broadcast: true);

    /// <summary><c>vzeroupper</c> (VEX): leaves no dirty upper state for SSE code after the kernel.</summary>
    public void Vzeroupper() { Byte(0xC5); Byte(0xF8); Byte(0x77); }

    // ---- encoding --------------------------------------------------------------------------------

    private void EvexReg(int map, int pp, byte op, int reg, int vvvv, int rm, VecWidth w)
    {
        CheckVec(reg); CheckVec(vvvv); CheckVec(rm);
        // Register form: EVEX.B extends rm bit 3, EVEX.X its bit 4.
        Evex(map, pp, reg, vvvv, rmLow: rm, rmHigh4: rm, w, broadcast: false);
        Byte(op);
        ModRmReg(reg, rm);
    }

    private void EvexMem(int map, int pp, byte op, int reg, int vvvv, Mem m, VecWidth w, int n, bool broadcast = false)
    {
        CheckVec(reg); CheckVec(vvvv);
        Evex(map, pp, reg, vvvv, rmLow: (int)m.Base, rmHigh4: m.Index is { } ix ? ((int)ix & 8) << 1 : 0, w, broadcast, index: m.Index);
        Byte(op);
        EvexModRmMem(reg, m, n);
    }

    private void Evex(int map, int pp, int reg, int vvvv, int rmLow, int rmHigh4, VecWidth w, bool broadcast, Reg? index = null, bool w1 = false)
    {
        int r = (reg >> 3) & 1, rr = (reg >> 4) & 1, b = (rmLow >> 3) & 1;
        // X: the index register's bit 3 for memory operands, the rm register's bit 4 for register operands.
        int x = index is { } ix ? ((int)ix >> 3) & 1 : (rmHigh4 >> 4) & 1;
        Byte(0x62);
        Byte((byte)(((r ^ 1) << 7) | ((x ^ 1) << 6) | ((b ^ 1) << 5) | ((rr ^ 1) << 4) | map));
        Byte((byte)((w1 ? 0x80 : 0) | ((~vvvv & 0xF) << 3) | 0x04 | pp));
        int ll = w switch { VecWidth.X => 0, VecWidth.Y => 1, _ => 2 };
        Byte((byte)((ll << 5) | ((broadcast ? 1 : 0) << 4) | ((((vvvv >> 4) & 1) ^ 1) << 3)));
    }

    private void EvexModRmMem(int reg, Mem m, int n)
    {
        int bse = (int)m.Base;
        bool compressible = m.Disp % n == 0 && m.Disp / n is >= sbyte.MinValue and <= sbyte.MaxValue;
        int mod = m.Disp == 0 && (bse & 7) != 5 ? 0 : compressible ? 1 : 2;
        bool sib = m.Index is not null || (bse & 7) == 4;
        Byte((byte)((mod << 6) | ((reg & 7) << 3) | (sib ? 4 : bse & 7)));
        if (sib)
        {
            int index = 4;
            if (m.Index is { } ix)
            {
                if (ix == Reg.Rsp) throw new ArgumentException("rsp cannot be an index register");
                index = (int)ix & 7;
            }
            int ss = m.Scale switch { 1 => 0, 2 => 1, 4 => 2, 8 => 3, _ => throw new ArgumentException("scale must be 1, 2, 4 or 8") };
            Byte((byte)((ss << 6) | (index << 3) | (bse & 7)));
        }
        if (mod == 1) Byte((byte)(sbyte)(m.Disp / n));
        else if (mod == 2) Int32(m.Disp);
    }

    private static void CheckVec(int v)
    {
        if ((uint)v > 31) throw new ArgumentOutOfRangeException(nameof(v), $"vector register {v} (0–31)");
    }
}

/// <summary>Vector width of an EVEX form; the value is the width in bytes (the full-vector disp8 scale).</summary>
internal enum VecWidth { X = 16, Y = 32, Z = 64 }
