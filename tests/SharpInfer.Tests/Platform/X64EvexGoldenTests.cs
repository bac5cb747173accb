using SharpInfer.Platform.X64;

namespace SharpInfer.Tests.Platform;

/// <summary>
/// Every EVEX form the emitter offers, against the bytes GNU as 2.40 assembled from tools/x64/evex-golden.s
/// (each line forced to EVEX with {evex}, as the emitter always encodes EVEX). Covers registers 16–31 in every
/// operand position, index registers r8–r15, and the compressed disp8·N displacements.
/// </summary>
public sealed class X64EvexGoldenTests
{
    private static readonly object[][] Forms =
    [
        ["62 71 7e 28 6f 8f 02 00 00 00", "vmovdqu32 ymm9,YMMWORD PTR [rdi+0x2]", (Action<X64Emitter>)(e => e.Vmovdqu32(9, Mem.At(Reg.Rdi, 2)))],
        ["62 c1 7e 28 6f a4 05 22 00 00 00", "vmovdqu32 ymm20,YMMWORD PTR [r13+rax*1+0x22]", (Action<X64Emitter>)(e => e.Vmovdqu32(20, Mem.Sib(Reg.R13, Reg.Rax, 1, 34)))],
        ["62 11 7e 08 6f 9c 48 02 00 00 00", "vmovdqu32 xmm11,XMMWORD PTR [r8+r9*2+0x2]", (Action<X64Emitter>)(e => e.Vmovdqu32(11, Mem.Sib(Reg.R8, Reg.R9, 2, 2), VecWidth.X))],
        ["62 f1 7e 28 6f 4e 02", "vmovdqu32 ymm1,YMMWORD PTR [rsi+0x40]", (Action<X64Emitter>)(e => e.Vmovdqu32(1, Mem.At(Reg.Rsi, 64)))],
        ["62 f1 7e 28 6f 8e 00 10 00 00", "vmovdqu32 ymm1,YMMWORD PTR [rsi+0x1000]", (Action<X64Emitter>)(e => e.Vmovdqu32(1, Mem.At(Reg.Rsi, 4096)))],
        ["62 61 7e 28 7f 7a 01", "vmovdqu32 YMMWORD PTR [rdx+0x20],ymm31", (Action<X64Emitter>)(e => e.Vmovdqu32(Mem.At(Reg.Rdx, 32), 31))],
        ["62 c1 7e 28 7f 04 24", "vmovdqu32 YMMWORD PTR [r12],ymm16", (Action<X64Emitter>)(e => e.Vmovdqu32(Mem.At(Reg.R12), 16))],
        ["62 71 7d 28 6f cd", "vmovdqa32 ymm9,ymm5", (Action<X64Emitter>)(e => e.Vmovdqa32(9, 5))],
        ["62 21 7d 28 6f c9", "vmovdqa32 ymm25,ymm17", (Action<X64Emitter>)(e => e.Vmovdqa32(25, 17))],
        ["62 72 7d 28 7c c0", "vpbroadcastd ymm8,eax", (Action<X64Emitter>)(e => e.Vpbroadcastd(8, Reg.Rax))],
        ["62 52 7d 28 7c eb", "vpbroadcastd ymm13,r11d", (Action<X64Emitter>)(e => e.Vpbroadcastd(13, Reg.R11))],
        ["62 d2 7d 28 18 e2", "vbroadcastss ymm4,xmm10", (Action<X64Emitter>)(e => e.Vbroadcastss(4, 10))],
        ["62 82 7d 28 18 f6", "vbroadcastss ymm22,xmm30", (Action<X64Emitter>)(e => e.Vbroadcastss(22, 30))],
        ["62 53 25 28 38 dc 01", "vinserti32x4 ymm11,ymm11,xmm12,0x1", (Action<X64Emitter>)(e => e.Vinserti32x4(11, 11, 12, 1))],
        ["62 83 75 28 38 e5 01", "vinserti32x4 ymm20,ymm1,xmm29,0x1", (Action<X64Emitter>)(e => e.Vinserti32x4(20, 1, 29, 1))],
        ["62 f1 3d 28 ef 87 02 00 00 00", "vpxord ymm0,ymm8,YMMWORD PTR [rdi+0x2]", (Action<X64Emitter>)(e => e.Vpxord(0, 8, Mem.At(Reg.Rdi, 2)))],
        ["62 f1 3d 28 ef 9c 77 02 00 00 00", "vpxord ymm3,ymm8,YMMWORD PTR [rdi+rsi*2+0x2]", (Action<X64Emitter>)(e => e.Vpxord(3, 8, Mem.Sib(Reg.Rdi, Reg.Rsi, 2, 2)))],
        ["62 51 35 28 ef c9", "vpxord ymm9,ymm9,ymm9", (Action<X64Emitter>)(e => e.Vpxord(9, 9, 9))],
        ["62 e1 0d 20 ef ca", "vpxord ymm17,ymm30,ymm2", (Action<X64Emitter>)(e => e.Vpxord(17, 30, 2))],
        ["62 d1 25 28 db c5", "vpandd ymm0,ymm11,ymm13", (Action<X64Emitter>)(e => e.Vpandd(0, 11, 13))],
        ["62 a1 55 20 db df", "vpandd ymm19,ymm21,ymm23", (Action<X64Emitter>)(e => e.Vpandd(19, 21, 23))],
        ["62 71 75 28 fa ca", "vpsubd ymm9,ymm1,ymm2", (Action<X64Emitter>)(e => e.Vpsubd(9, 1, 2))],
        ["62 71 75 28 fe ca", "vpaddd ymm9,ymm1,ymm2", (Action<X64Emitter>)(e => e.Vpaddd(9, 1, 2))],
        ["62 a1 5d 20 fe e5", "vpaddd ymm20,ymm20,ymm21", (Action<X64Emitter>)(e => e.Vpaddd(20, 20, 21))],
        ["62 d1 25 28 eb c4", "vpord ymm0,ymm11,ymm12", (Action<X64Emitter>)(e => e.Vpord(0, 11, 12))],
        ["62 d1 55 20 eb dc", "vpord ymm3,ymm21,ymm12", (Action<X64Emitter>)(e => e.Vpord(3, 21, 12))],
        ["c4 e1 f9 90 48 02", "kmovd k1,DWORD PTR [rax+0x2]", (Action<X64Emitter>)(e => e.Kmovd(1, Mem.At(Reg.Rax, 2)))],
        ["c4 e1 f9 90 4c 18 02", "kmovd k1,DWORD PTR [rax+rbx*1+0x2]", (Action<X64Emitter>)(e => e.Kmovd(1, Mem.Sib(Reg.Rax, Reg.Rbx, 1, 2)))],
        ["c4 c1 f9 90 4c 4d 02", "kmovd k1,DWORD PTR [r13+rcx*2+0x2]", (Action<X64Emitter>)(e => e.Kmovd(1, Mem.Sib(Reg.R13, Reg.Rcx, 2, 2)))],
        ["62 72 7e 28 28 e1", "vpmovm2b ymm12,k1", (Action<X64Emitter>)(e => e.Vpmovm2b(12, 1))],
        ["62 e2 7e 28 28 e1", "vpmovm2b ymm20,k1", (Action<X64Emitter>)(e => e.Vpmovm2b(20, 1))],
        ["62 72 7d 28 50 8a 02 00 00 00", "vpdpbusd ymm9,ymm0,YMMWORD PTR [rdx+0x2]", (Action<X64Emitter>)(e => e.Vpdpbusd(9, 0, Mem.At(Reg.Rdx, 2)))],
        ["62 72 65 28 50 8c 4a 24 00 00 00", "vpdpbusd ymm9,ymm3,YMMWORD PTR [rdx+rcx*2+0x24]", (Action<X64Emitter>)(e => e.Vpdpbusd(9, 3, Mem.Sib(Reg.Rdx, Reg.Rcx, 2, 36)))],
        ["62 12 65 28 50 8c 1a 02 00 00 00", "vpdpbusd ymm9,ymm3,YMMWORD PTR [r10+r11*1+0x2]", (Action<X64Emitter>)(e => e.Vpdpbusd(9, 3, Mem.Sib(Reg.R10, Reg.R11, 1, 2)))],
        ["62 02 75 20 50 c7", "vpdpbusd ymm24,ymm17,ymm31", (Action<X64Emitter>)(e => e.Vpdpbusd(24, 17, 31))],
        ["62 72 7d 28 50 c9", "vpdpbusd ymm9,ymm0,ymm1", (Action<X64Emitter>)(e => e.Vpdpbusd(9, 0, 1))],
        ["62 d1 1d 08 71 d3 04", "vpsrlw xmm12,xmm11,0x4", (Action<X64Emitter>)(e => e.Vpsrlw(12, 11, 4, VecWidth.X))],
        ["62 f1 5d 20 71 d3 04", "vpsrlw ymm20,ymm3,0x4", (Action<X64Emitter>)(e => e.Vpsrlw(20, 3, 4))],
        ["62 51 7c 28 5b c9", "vcvtdq2ps ymm9,ymm9", (Action<X64Emitter>)(e => e.Vcvtdq2ps(9, 9))],
        ["62 21 7c 28 5b d3", "vcvtdq2ps ymm26,ymm19", (Action<X64Emitter>)(e => e.Vcvtdq2ps(26, 19))],
        ["62 72 7d 08 13 17", "vcvtph2ps xmm10,QWORD PTR [rdi]", (Action<X64Emitter>)(e => e.Vcvtph2ps(10, Mem.At(Reg.Rdi)))],
        ["62 72 7d 08 13 14 77", "vcvtph2ps xmm10,QWORD PTR [rdi+rsi*2]", (Action<X64Emitter>)(e => e.Vcvtph2ps(10, Mem.Sib(Reg.Rdi, Reg.Rsi, 2)))],
        ["62 52 7d 08 13 94 30 06 00 00 00", "vcvtph2ps xmm10,QWORD PTR [r8+rsi*1+0x6]", (Action<X64Emitter>)(e => e.Vcvtph2ps(10, Mem.Sib(Reg.R8, Reg.Rsi, 1, 6)))],
        ["62 72 7d 08 13 57 02", "vcvtph2ps xmm10,QWORD PTR [rdi+0x10]", (Action<X64Emitter>)(e => e.Vcvtph2ps(10, Mem.At(Reg.Rdi, 16)))],
        ["62 51 5c 38 59 51 08", "vmulps ymm10,ymm4,DWORD BCST [r9+0x20]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(10, 4, Mem.At(Reg.R9, 32)))],
        ["62 11 44 38 59 54 31 08", "vmulps ymm10,ymm7,DWORD BCST [r9+r14*1+0x20]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(10, 7, Mem.Sib(Reg.R9, Reg.R14, 1, 32)))],
        ["62 11 44 38 59 94 71 22 00 00 00", "vmulps ymm10,ymm7,DWORD BCST [r9+r14*2+0x22]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(10, 7, Mem.Sib(Reg.R9, Reg.R14, 2, 34)))],
        ["62 e1 44 30 59 6d 00", "vmulps ymm21,ymm23,DWORD BCST [rbp+0x0]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(21, 23, Mem.At(Reg.Rbp)))],
        ["62 c2 35 28 b8 c2", "vfmadd231ps ymm16,ymm9,ymm10", (Action<X64Emitter>)(e => e.Vfmadd231ps(16, 9, 10))],
        ["62 42 35 28 b8 fa", "vfmadd231ps ymm31,ymm9,ymm10", (Action<X64Emitter>)(e => e.Vfmadd231ps(31, 9, 10))],
        ["62 b2 15 20 b8 ca", "vfmadd231ps ymm1,ymm29,ymm18", (Action<X64Emitter>)(e => e.Vfmadd231ps(1, 29, 18))],
        ["c5 f8 77", "vzeroupper", (Action<X64Emitter>)(e => e.Vzeroupper())],
        ["41 0f 18 0f", "prefetcht0 BYTE PTR [r15]", (Action<X64Emitter>)(e => e.Prefetcht0(Mem.At(Reg.R15)))],
        ["41 0f 18 4f 40", "prefetcht0 BYTE PTR [r15+0x40]", (Action<X64Emitter>)(e => e.Prefetcht0(Mem.At(Reg.R15, 64)))],
        ["0f 18 0c 98", "prefetcht0 BYTE PTR [rax+rbx*4]", (Action<X64Emitter>)(e => e.Prefetcht0(Mem.Sib(Reg.Rax, Reg.Rbx, 4)))],
        ["41 0f 18 97 80 00 00 00", "prefetcht1 BYTE PTR [r15+0x80]", (Action<X64Emitter>)(e => e.Prefetcht1(Mem.At(Reg.R15, 128)))],
        ["0f 18 12", "prefetcht1 BYTE PTR [rdx]", (Action<X64Emitter>)(e => e.Prefetcht1(Mem.At(Reg.Rdx)))],
        ["62 d2 7d 48 58 54 24 07", "vpbroadcastd zmm2,DWORD PTR [r12+0x1c]", (Action<X64Emitter>)(e => e.Vpbroadcastd(2, Mem.At(Reg.R12, 28), VecWidth.Z))],
        ["62 f2 7d 48 58 11", "vpbroadcastd zmm2,DWORD PTR [rcx]", (Action<X64Emitter>)(e => e.Vpbroadcastd(2, Mem.At(Reg.Rcx), VecWidth.Z))],
        ["62 d2 6d 48 50 0a", "vpdpbusd zmm1,zmm2,ZMMWORD PTR [r10]", (Action<X64Emitter>)(e => e.Vpdpbusd(1, 2, Mem.At(Reg.R10), VecWidth.Z))],
        ["62 d2 6d 48 50 4a 07", "vpdpbusd zmm1,zmm2,ZMMWORD PTR [r10+0x1c0]", (Action<X64Emitter>)(e => e.Vpdpbusd(1, 2, Mem.At(Reg.R10, 448), VecWidth.Z))],
        ["62 d1 7e 48 6f 9a 20 02 00 00", "vmovdqu32 zmm3,ZMMWORD PTR [r10+0x220]", (Action<X64Emitter>)(e => e.Vmovdqu32(3, Mem.At(Reg.R10, 544), VecWidth.Z))],
        ["62 f1 75 48 fa cb", "vpsubd zmm1,zmm1,zmm3", (Action<X64Emitter>)(e => e.Vpsubd(1, 1, 3, VecWidth.Z))],
        ["62 f1 7c 48 5b e1", "vcvtdq2ps zmm4,zmm1", (Action<X64Emitter>)(e => e.Vcvtdq2ps(4, 1, VecWidth.Z))],
        ["62 d2 7d 48 13 6a 10", "vcvtph2ps zmm5,YMMWORD PTR [r10+0x200]", (Action<X64Emitter>)(e => e.Vcvtph2ps(5, Mem.At(Reg.R10, 512), VecWidth.Z))],
        ["62 d1 54 58 59 6d 00", "vmulps zmm5,zmm5,DWORD BCST [r13+0x0]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(5, 5, Mem.At(Reg.R13), VecWidth.Z))],
        ["62 f2 5d 48 b8 c5", "vfmadd231ps zmm0,zmm4,zmm5", (Action<X64Emitter>)(e => e.Vfmadd231ps(0, 4, 5, VecWidth.Z))],
        ["62 f1 75 48 ef c9", "vpxord zmm1,zmm1,zmm1", (Action<X64Emitter>)(e => e.Vpxord(1, 1, 1, VecWidth.Z))],
        ["62 f1 7e 48 7f 06", "vmovdqu32 ZMMWORD PTR [rsi],zmm0", (Action<X64Emitter>)(e => e.Vmovdqu32(Mem.At(Reg.Rsi), 0, VecWidth.Z))],
        ["62 52 7d 48 7c c7", "vpbroadcastd zmm8,r15d", (Action<X64Emitter>)(e => e.Vpbroadcastd(8, Reg.R15, VecWidth.Z))],
        ["62 d1 7e 48 6f 5a 03", "vmovdqu32 zmm3,ZMMWORD PTR [r10+0xc0]", (Action<X64Emitter>)(e => e.Vmovdqu32(3, Mem.At(Reg.R10, 192), VecWidth.Z))],
        ["62 d1 65 48 db f0", "vpandd zmm6,zmm3,zmm8", (Action<X64Emitter>)(e => e.Vpandd(6, 3, 8, VecWidth.Z))],
        ["62 f1 45 48 71 d3 04", "vpsrlw zmm7,zmm3,0x4", (Action<X64Emitter>)(e => e.Vpsrlw(7, 3, 4, VecWidth.Z))],
        ["62 f2 45 48 50 ca", "vpdpbusd zmm1,zmm7,zmm2", (Action<X64Emitter>)(e => e.Vpdpbusd(1, 7, 2, VecWidth.Z))],
        ["62 92 7d 48 58 1c af", "vpbroadcastd zmm3,DWORD PTR [r15+r13*4]", (Action<X64Emitter>)(e => e.Vpbroadcastd(3, Mem.Sib(Reg.R15, Reg.R13, 4), VecWidth.Z))],
        ["62 91 54 58 59 2c af", "vmulps zmm5,zmm5,DWORD BCST [r15+r13*4]", (Action<X64Emitter>)(e => e.VmulpsBroadcast(5, 5, Mem.Sib(Reg.R15, Reg.R13, 4), VecWidth.Z))],
        ["62 d2 7d 48 13 6a 09", "vcvtph2ps zmm5,YMMWORD PTR [r10+0x120]", (Action<X64Emitter>)(e => e.Vcvtph2ps(5, Mem.At(Reg.R10, 288), VecWidth.Z))],
        ["62 73 35 28 38 8c 18 02 00 00 00 01", "vinserti32x4 ymm9,ymm9,XMMWORD PTR [rax+rbx*1+0x2],0x1", (Action<X64Emitter>)(e => e.Vinserti32x4(9, 9, Mem.Sib(Reg.Rax, Reg.Rbx, 1, 2), 1))],
        ["62 73 35 28 38 8c 0a 02 00 00 00 01", "vinserti32x4 ymm9,ymm9,XMMWORD PTR [rdx+rcx*1+0x2],0x1", (Action<X64Emitter>)(e => e.Vinserti32x4(9, 9, Mem.Sib(Reg.Rdx, Reg.Rcx, 1, 2), 1))],
        ["62 c3 35 28 38 60 02 01", "vinserti32x4 ymm20,ymm9,XMMWORD PTR [r8+0x20],0x1", (Action<X64Emitter>)(e => e.Vinserti32x4(20, 9, Mem.At(Reg.R8, 32), 1))],
        ["62 52 7d 28 5a 20", "vbroadcasti32x4 ymm12,XMMWORD PTR [r8]", (Action<X64Emitter>)(e => e.Vbroadcasti32x4(12, Mem.At(Reg.R8)))],
        ["62 52 7d 28 5a 68 01", "vbroadcasti32x4 ymm13,XMMWORD PTR [r8+0x10]", (Action<X64Emitter>)(e => e.Vbroadcasti32x4(13, Mem.At(Reg.R8, 16)))],
        ["62 72 7d 28 5a be 12 00 00 00", "vbroadcasti32x4 ymm15,XMMWORD PTR [rsi+0x12]", (Action<X64Emitter>)(e => e.Vbroadcasti32x4(15, Mem.At(Reg.Rsi, 18)))],
        ["62 d1 fd 08 6e f5", "{evex} vmovq xmm6,r13", (Action<X64Emitter>)(e => e.Vmovq(6, Reg.R13))],
        ["62 c1 fd 08 6e f1", "vmovq xmm22,r9", (Action<X64Emitter>)(e => e.Vmovq(22, Reg.R9))],
        ["62 f2 3d 20 16 fe", "vpermps ymm7,ymm24,ymm6", (Action<X64Emitter>)(e => e.Vpermps(7, 24, 6))],
        ["62 f2 25 20 16 fe", "vpermps ymm7,ymm27,ymm6", (Action<X64Emitter>)(e => e.Vpermps(7, 27, 6))],
        ["62 f2 7d 28 13 f6", "{evex} vcvtph2ps ymm6,xmm6", (Action<X64Emitter>)(e => e.Vcvtph2ps(6, 6, VecWidth.Y))],
        ["62 e2 7d 28 13 e3", "vcvtph2ps ymm20,xmm3", (Action<X64Emitter>)(e => e.Vcvtph2ps(20, 3, VecWidth.Y))],
        ["44 0f b7 2c 0a", "movzx r13d,WORD PTR [rdx+rcx*1]", (Action<X64Emitter>)(e => e.Movzx16(Reg.R13, Mem.Sib(Reg.Rdx, Reg.Rcx, 1)))],
        ["44 0f b7 34 58", "movzx r14d,WORD PTR [rax+rbx*2]", (Action<X64Emitter>)(e => e.Movzx16(Reg.R14, Mem.Sib(Reg.Rax, Reg.Rbx, 2)))],
        ["44 0f b7 30", "movzx r14d,WORD PTR [rax]", (Action<X64Emitter>)(e => e.Movzx16(Reg.R14, Mem.At(Reg.Rax)))],
        ["44 0f b7 3a", "movzx r15d,WORD PTR [rdx]", (Action<X64Emitter>)(e => e.Movzx16(Reg.R15, Mem.At(Reg.Rdx)))],
        ["43 0f b7 7c 19 02", "movzx edi,WORD PTR [r9+r11*1+0x2]", (Action<X64Emitter>)(e => e.Movzx16(Reg.Rdi, Mem.Sib(Reg.R9, Reg.R11, 1, 2)))],
        ["49 c1 e5 20", "shl r13,0x20", (Action<X64Emitter>)(e => e.ShlImm(Reg.R13, 32))],
        ["41 c1 e5 10", "shl r13d,0x10", (Action<X64Emitter>)(e => e.ShlImm(Reg.R13, 16, wide: false))],
        ["41 c1 e6 10", "shl r14d,0x10", (Action<X64Emitter>)(e => e.ShlImm(Reg.R14, 16, wide: false))],
        ["4d 09 f5", "or r13,r14", (Action<X64Emitter>)(e => e.Or(Reg.R13, Reg.R14))],
        ["45 09 f5", "or r13d,r14d", (Action<X64Emitter>)(e => e.Or(Reg.R13, Reg.R14, wide: false))],
        ["48 09 d8", "or rax,rbx", (Action<X64Emitter>)(e => e.Or(Reg.Rax, Reg.Rbx))],
        ["62 72 2d 28 04 e0", "{evex} vpmaddubsw ymm12,ymm10,ymm0", (Action<X64Emitter>)(e => e.Vpmaddubsw(12, 10, 0))],
        ["62 72 25 28 04 ef", "{evex} vpmaddubsw ymm13,ymm11,ymm7", (Action<X64Emitter>)(e => e.Vpmaddubsw(13, 11, 7))],
        ["62 e2 25 20 04 e3", "vpmaddubsw ymm20,ymm27,ymm3", (Action<X64Emitter>)(e => e.Vpmaddubsw(20, 27, 3))],
        ["62 72 1d 38 52 76 01", "vpdpwssd ymm14,ymm12,DWORD BCST [rsi+0x4]", (Action<X64Emitter>)(e => e.VpdpwssdBroadcast(14, 12, Mem.At(Reg.Rsi, 4)))],
        ["62 72 15 38 52 76 37", "vpdpwssd ymm14,ymm13,DWORD BCST [rsi+0xdc]", (Action<X64Emitter>)(e => e.VpdpwssdBroadcast(14, 13, Mem.At(Reg.Rsi, 220)))],
        ["62 42 15 38 52 b3 00 04 00 00", "vpdpwssd ymm30,ymm13,DWORD BCST [r11+0x400]", (Action<X64Emitter>)(e => e.VpdpwssdBroadcast(30, 13, Mem.At(Reg.R11, 1024)))],
        ["62 e2 05 38 b8 46 08", "vfmadd231ps ymm16,ymm15,DWORD BCST [rsi+0x20]", (Action<X64Emitter>)(e => e.Vfmadd231psBroadcast(16, 15, Mem.At(Reg.Rsi, 32)))],
        ["62 e2 05 38 b8 5e 38", "vfmadd231ps ymm19,ymm15,DWORD BCST [rsi+0xe0]", (Action<X64Emitter>)(e => e.Vfmadd231psBroadcast(19, 15, Mem.At(Reg.Rsi, 224)))],
        ["62 52 7d 08 30 e4", "{evex} vpmovzxbw xmm12,xmm12", (Action<X64Emitter>)(e => e.Vpmovzxbw(12, 12))],
        ["62 e2 7d 08 30 e3", "vpmovzxbw xmm20,xmm3", (Action<X64Emitter>)(e => e.Vpmovzxbw(20, 3))],
        ["62 51 1d 08 f5 e7", "{evex} vpmaddwd xmm12,xmm12,xmm15", (Action<X64Emitter>)(e => e.Vpmaddwd(12, 12, 15))],
        ["62 51 2d 00 f5 ef", "vpmaddwd xmm13,xmm26,xmm15", (Action<X64Emitter>)(e => e.Vpmaddwd(13, 26, 15))],
        ["62 51 2d 20 f5 ef", "vpmaddwd ymm13,ymm26,ymm15", (Action<X64Emitter>)(e => e.Vpmaddwd(13, 26, 15, VecWidth.Y))],
        ["62 51 1d 08 6b fd", "{evex} vpackssdw xmm15,xmm12,xmm13", (Action<X64Emitter>)(e => e.Vpackssdw(15, 12, 13))],
        ["62 42 1d 08 bc e3", "vfnmadd231ps xmm28,xmm12,xmm11", (Action<X64Emitter>)(e => e.Vfnmadd231ps(28, 12, 11, VecWidth.X))],
        ["62 d2 1d 08 bc e3", "{evex} vfnmadd231ps xmm4,xmm12,xmm11", (Action<X64Emitter>)(e => e.Vfnmadd231ps(4, 12, 11, VecWidth.X))],
        ["62 53 7d 08 04 da 55", "{evex} vpermilps xmm11,xmm10,0x55", (Action<X64Emitter>)(e => e.Vpermilps(11, 10, 0x55))],
        ["62 43 7d 08 04 da 55", "vpermilps xmm27,xmm10,0x55", (Action<X64Emitter>)(e => e.Vpermilps(27, 10, 0x55))],
        ["49 81 e3 3f 3f 3f 3f", "and r11,0x3f3f3f3f", (Action<X64Emitter>)(e => e.AndImm(Reg.R11, 0x3f3f3f3f))],
        ["41 81 e4 0f 0f 0f 0f", "and r12d,0xf0f0f0f", (Action<X64Emitter>)(e => e.AndImm(Reg.R12, 0x0f0f0f0f, wide: false))],
        ["41 c1 ec 06", "shr r12d,0x6", (Action<X64Emitter>)(e => e.ShrImm(Reg.R12, 6, wide: false))],
        ["49 c1 ed 04", "shr r13,0x4", (Action<X64Emitter>)(e => e.ShrImm(Reg.R13, 4))],
        ["c4 42 a3 f5 e6", "pdep r12,r11,r14", (Action<X64Emitter>)(e => e.Pdep(Reg.R12, Reg.R11, Reg.R14))],
        ["c4 62 c3 f5 fd", "pdep r15,rdi,rbp", (Action<X64Emitter>)(e => e.Pdep(Reg.R15, Reg.Rdi, Reg.Rbp))],
        ["c4 c2 93 f5 fe", "pdep rdi,r13,r14", (Action<X64Emitter>)(e => e.Pdep(Reg.Rdi, Reg.R13, Reg.R14))],
        ["62 f1 7e 08 7f 34 24", "vmovdqu32 XMMWORD PTR [rsp],xmm6", (Action<X64Emitter>)(e => e.Vmovdqu32(Mem.At(Reg.Rsp, 0), 6, VecWidth.X))],
        ["62 71 7e 08 7f 7c 24 09", "vmovdqu32 XMMWORD PTR [rsp+0x90],xmm15", (Action<X64Emitter>)(e => e.Vmovdqu32(Mem.At(Reg.Rsp, 144), 15, VecWidth.X))],
        ["62 f1 7e 08 6f 34 24", "vmovdqu32 xmm6,XMMWORD PTR [rsp]", (Action<X64Emitter>)(e => e.Vmovdqu32(6, Mem.At(Reg.Rsp, 0), VecWidth.X))],
        ["62 71 7e 08 6f 7c 24 09", "vmovdqu32 xmm15,XMMWORD PTR [rsp+0x90]", (Action<X64Emitter>)(e => e.Vmovdqu32(15, Mem.At(Reg.Rsp, 144), VecWidth.X))],
    ];

    public static TheoryData<string, string> Listing()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in Forms) data.Add((string)f[0], (string)f[1]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Listing))]
    public void EmitsTheBytesGnuAsEncodes(string hex, string instruction)
    {
        var form = Array.Find(Forms, f => (string)f[1] == instruction && (string)f[0] == hex)!;
        var e = new X64Emitter();
        ((Action<X64Emitter>)form[2])(e);
        Assert.Equal(hex, string.Join(" ", e.ToArray().Select(b => b.ToString("x2"))));
    }

    [Fact]
    public void RefusesVectorRegistersAbove31()
    {
        var e = new X64Emitter();
        Assert.Throws<ArgumentOutOfRangeException>(() => e.Vpxord(32, 0, 0));
    }
}
