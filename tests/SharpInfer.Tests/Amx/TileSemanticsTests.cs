using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Platform.X64;
using SharpInfer.Tests.Amx.Interpreter;

namespace SharpInfer.Tests.Amx;

/// <summary>
/// Single tile instructions, emitted and interpreted, against scalar transcriptions of the Intel SDM
/// pseudocode. These pin operand order (reg = C, rm = A, vvvv = B), the pp → signedness mapping and
/// the edge rules (int32 wrap-around, partial rows/columns, faults).
/// </summary>
public sealed unsafe class TileSemanticsTests
{
    private delegate void TileOp(X64Emitter e);

    /// <summary><c>f(cfg, a, b, c)</c>: load A, B, C with their strides, one op, store C, release.</summary>
    private static byte[] OneOpProgram(TileOp op, int strideA = 64, int strideB = 64, int strideC = 64)
    {
        var e = new X64Emitter();
        e.Ldtilecfg(Mem.At(Reg.Rdi));
        e.MovImm(Reg.R10, strideA);
        e.MovImm(Reg.R11, strideB);
        e.MovImm(Reg.R9, strideC);
        e.Tileloadd(Tmm.Tmm2, Mem.Sib(Reg.Rsi, Reg.R10));
        e.Tileloadd(Tmm.Tmm0, Mem.Sib(Reg.Rdx, Reg.R11));
        e.Tileloadd(Tmm.Tmm4, Mem.Sib(Reg.Rcx, Reg.R9));
        op(e);
        e.Tilestored(Mem.Sib(Reg.Rcx, Reg.R9), Tmm.Tmm4);
        e.Tilerelease();
        e.Ret();
        return e.ToArray();
    }

    private static void Run(byte[] program, TileConfig cfg, byte[] a, byte[] b, byte[] c)
    {
        var cfgBytes = cfg.Bytes.ToArray();
        fixed (byte* pc = cfgBytes) fixed (byte* pa = a) fixed (byte* pb = b) fixed (byte* pcc = c)
            new X64Interpreter().Call(program, X64Abi.SystemV, (ulong)pc, (ulong)pa, (ulong)pb, (ulong)pcc);
    }

    private static TileConfig Full() => new TileConfig().Set(0, 16, 64).Set(2, 16, 64).Set(4, 16, 64);

    public static TheoryData<string> Int8Ops() => new() { "tdpbssd", "tdpbsud", "tdpbusd", "tdpbuud" };

    [Theory]
    [MemberData(nameof(Int8Ops))]
    public void Int8DotProductsWrapAroundLikeTheSdm(string name)
    {
        var (aSigned, bSigned, op) = name switch
        {
            "tdpbssd" => (true, true, (TileOp)(e => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))),
            "tdpbsud" => (true, false, (TileOp)(e => e.Tdpbsud(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))),
            "tdpbusd" => (false, true, (TileOp)(e => e.Tdpbusd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))),
            _ => (false, false, (TileOp)(e => e.Tdpbuud(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0))),
        };
        var rng = new Random(name.Length * 31 + name[5]);
        var a = new byte[1024]; var b = new byte[1024]; var c = new byte[1024];
        rng.NextBytes(a); rng.NextBytes(b);
        var c0 = new int[256];
        for (int i = 0; i < 256; i++) c0[i] = i % 3 == 0 ? int.MaxValue - rng.Next(1000) : i % 3 == 1 ? int.MinValue + rng.Next(1000) : rng.Next();
        Buffer.BlockCopy(c0, 0, c, 0, 1024);

        Run(OneOpProgram(op), Full(), a, b, c);

        var got = new int[256];
        Buffer.BlockCopy(c, 0, got, 0, 1024);
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 16; n++)
            {
                int acc = c0[m * 16 + n];
                for (int k = 0; k < 64; k++)
                {
                    int x = aSigned ? (sbyte)a[m * 64 + k] : a[m * 64 + k];
                    int y = bSigned ? (sbyte)b[(k / 4) * 64 + n * 4 + k % 4] : b[(k / 4) * 64 + n * 4 + k % 4];
                    acc = unchecked(acc + x * y);
                }
                Assert.Equal(acc, got[m * 16 + n]);
            }
    }

    [Fact]
    public void Bf16DotProductAccumulatesPairsInFp32()
    {
        var rng = new Random(5);
        var a = new byte[1024]; var b = new byte[1024]; var c = new byte[1024];
        ushort[] Bf16s(byte[] into)
        {
            var v = new ushort[512];
            for (int i = 0; i < 512; i++)
            {
                v[i] = (ushort)(BitConverter.SingleToInt32Bits((float)(rng.NextDouble() * 4 - 2)) >> 16);
                into[2 * i] = (byte)v[i]; into[2 * i + 1] = (byte)(v[i] >> 8);
            }
            return v;
        }
        var av = Bf16s(a);
        var bv = Bf16s(b);
        av[3] = 0x0001; a[6] = 1; a[7] = 0; // a bf16 denormal: read as zero
        var c0 = new float[256];
        for (int i = 0; i < 256; i++) c0[i] = (float)rng.NextDouble();
        Buffer.BlockCopy(c0, 0, c, 0, 1024);

        Run(OneOpProgram(e => e.Tdpbf16ps(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0)), Full(), a, b, c);

        static float F(ushort h) => float.IsSubnormal(BitConverter.Int32BitsToSingle(h << 16)) ? 0f : BitConverter.Int32BitsToSingle(h << 16);
        var got = new float[256];
        Buffer.BlockCopy(c, 0, got, 0, 1024);
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 16; n++)
            {
                float acc = c0[m * 16 + n];
                for (int k = 0; k < 16; k++)
                    for (int i = 0; i < 2; i++)
                        acc += F(av[m * 32 + 2 * k + i]) * F(bv[k * 32 + 2 * n + i]);
                Assert.Equal(BitConverter.SingleToInt32Bits(acc), BitConverter.SingleToInt32Bits(got[m * 16 + n]));
            }
    }

    [Fact]
    public void StridedPartialTilesTouchOnlyConfiguredBytes()
    {
        // A: 5 rows × 8 bytes read 100 bytes apart; B: 2 rows × 12 bytes; C: 5 rows × 12 bytes stored 48 apart.
        var cfg = new TileConfig().Set(2, 5, 8).Set(0, 2, 12).Set(4, 5, 12);
        var a = new byte[500]; var b = new byte[64 * 2]; var c = new byte[48 * 5 + 64];
        var rng = new Random(9);
        rng.NextBytes(a); rng.NextBytes(b);
        Array.Fill(c, (byte)0xEE);
        var before = (byte[])c.Clone();
        Run(OneOpProgram(e => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0), strideA: 100, strideC: 48), cfg, a, b, c);
        for (int r = 0; r < 5; r++)
        {
            for (int n = 0; n < 3; n++)
            {
                int acc = BitConverter.ToInt32(before, r * 48 + 4 * n);
                for (int k = 0; k < 8; k++) acc = unchecked(acc + (sbyte)a[r * 100 + k] * (sbyte)b[(k / 4) * 64 + n * 4 + k % 4]);
                Assert.Equal(acc, BitConverter.ToInt32(c, r * 48 + 4 * n));
            }
            for (int x = 12; x < 48; x++) Assert.Equal(0xEE, c[r * 48 + x]);
        }
        for (int x = 5 * 48; x < c.Length; x++) Assert.Equal(0xEE, c[x]);
    }

    [Fact]
    public void MemoryGuardCatchesTileRowsPastTheBuffer()
    {
        // A 16×64 tile read with stride 64 from a 1000-byte buffer: row 15 ends at byte 1024.
        var cfgBytes = Full().Bytes.ToArray();
        var a = new byte[1000]; var b = new byte[1024]; var c = new byte[1024];
        var program = OneOpProgram(e => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0));
        fixed (byte* pcfg = cfgBytes) fixed (byte* pa = a) fixed (byte* pb = b) fixed (byte* pc = c)
        {
            var vm = new X64Interpreter();
            vm.AllowedMemory.Add(((ulong)pcfg, 64));
            vm.AllowedMemory.Add(((ulong)pa, 1000));
            vm.AllowedMemory.Add(((ulong)pb, 1024));
            vm.AllowedMemory.Add(((ulong)pc, 1024));
            ulong[] args = [(ulong)pcfg, (ulong)pa, (ulong)pb, (ulong)pc];
            var ex = Assert.Throws<MemoryGuardException>(() => vm.Call(program, X64Abi.SystemV, args));
            Assert.Contains("outside every allowed buffer", ex.Message);
        }
    }

    [Fact]
    public void MismatchedShapesFaultAsOnHardware()
    {
        var buf = new byte[1024];
        var op = OneOpProgram(e => e.Tdpbssd(Tmm.Tmm4, Tmm.Tmm2, Tmm.Tmm0));
        // B has 8 rows but A has 64 bytes per row (needs 16).
        var badK = new TileConfig().Set(0, 8, 64).Set(2, 16, 64).Set(4, 16, 64);
        Assert.Contains("B.rows", Assert.Throws<TileFaultException>(() => Run(op, badK, buf, buf, buf)).Message);
        var badRows = new TileConfig().Set(0, 16, 64).Set(2, 8, 64).Set(4, 16, 64);
        Assert.Contains("A.rows", Assert.Throws<TileFaultException>(() => Run(op, badRows, buf, buf, buf)).Message);
        var unconfiguredB = new TileConfig().Set(2, 16, 64).Set(4, 16, 64);
        Assert.Throws<TileFaultException>(() => Run(op, unconfiguredB, buf, buf, buf));
    }
}
