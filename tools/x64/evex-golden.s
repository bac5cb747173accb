# Golden listing for the EVEX forms (and the prefetch hint and the general-purpose forms the VNNI kernels add) of the SharpInfer x86-64 emitter (Intel syntax).
# tests/SharpInfer.Tests/Platform/X64EvexGoldenTests.cs pins the bytes GNU as produces for each line.
.intel_syntax noprefix
.text
    {evex} vmovdqu32 ymm9, [rdi+2]
    {evex} vmovdqu32 ymm20, [r13+rax*1+34]
    {evex} vmovdqu32 xmm11, [r8+r9*2+2]
    {evex} vmovdqu32 ymm1, [rsi+64]
    {evex} vmovdqu32 ymm1, [rsi+4096]
    {evex} vmovdqu32 [rdx+32], ymm31
    {evex} vmovdqu32 [r12], ymm16
    {evex} vmovdqa32 ymm9, ymm5
    {evex} vmovdqa32 ymm25, ymm17
    {evex} vpbroadcastd ymm8, eax
    {evex} vpbroadcastd ymm13, r11d
    {evex} vbroadcastss ymm4, xmm10
    {evex} vbroadcastss ymm22, xmm30
    {evex} vinserti32x4 ymm11, ymm11, xmm12, 1
    {evex} vinserti32x4 ymm20, ymm1, xmm29, 1
    {evex} vpxord ymm0, ymm8, [rdi+2]
    {evex} vpxord ymm3, ymm8, [rdi+rsi*2+2]
    {evex} vpxord ymm9, ymm9, ymm9
    {evex} vpxord ymm17, ymm30, ymm2
    {evex} vpandd ymm0, ymm11, ymm13
    {evex} vpandd ymm19, ymm21, ymm23
    {evex} vpsubd ymm9, ymm1, ymm2
    {evex} vpaddd ymm9, ymm1, ymm2
    {evex} vpaddd ymm20, ymm20, ymm21
    vpord ymm0, ymm11, ymm12
    vpord ymm3, ymm21, ymm12
    kmovd k1, DWORD PTR [rax+2]
    kmovd k1, DWORD PTR [rax+rbx*1+2]
    kmovd k1, DWORD PTR [r13+rcx*2+2]
    vpmovm2b ymm12, k1
    vpmovm2b ymm20, k1
    {evex} vpdpbusd ymm9, ymm0, [rdx+2]
    {evex} vpdpbusd ymm9, ymm3, [rdx+rcx*2+36]
    {evex} vpdpbusd ymm9, ymm3, [r10+r11*1+2]
    {evex} vpdpbusd ymm24, ymm17, ymm31
    {evex} vpdpbusd ymm9, ymm0, ymm1
    {evex} vpsrlw xmm12, xmm11, 4
    {evex} vpsrlw ymm20, ymm3, 4
    {evex} vcvtdq2ps ymm9, ymm9
    {evex} vcvtdq2ps ymm26, ymm19
    {evex} vcvtph2ps xmm10, QWORD PTR [rdi]
    {evex} vcvtph2ps xmm10, QWORD PTR [rdi+rsi*2]
    {evex} vcvtph2ps xmm10, QWORD PTR [r8+rsi*1+6]
    {evex} vcvtph2ps xmm10, QWORD PTR [rdi+16]
    {evex} vmulps ymm10, ymm4, DWORD PTR [r9+32]{1to8}
    {evex} vmulps ymm10, ymm7, DWORD PTR [r9+r14*1+32]{1to8}
    {evex} vmulps ymm10, ymm7, DWORD PTR [r9+r14*2+34]{1to8}
    {evex} vmulps ymm21, ymm23, DWORD PTR [rbp]{1to8}
    {evex} vfmadd231ps ymm16, ymm9, ymm10
    {evex} vfmadd231ps ymm31, ymm9, ymm10
    {evex} vfmadd231ps ymm1, ymm29, ymm18
    vzeroupper
    prefetcht0 [r15]
    prefetcht0 [r15+64]
    prefetcht0 [rax+rbx*4]
    prefetcht1 [r15+128]
    prefetcht1 [rdx]
    {evex} vpbroadcastd zmm2, DWORD PTR [r12+28]
    {evex} vpbroadcastd zmm2, DWORD PTR [rcx]
    {evex} vpdpbusd zmm1, zmm2, ZMMWORD PTR [r10]
    {evex} vpdpbusd zmm1, zmm2, ZMMWORD PTR [r10+448]
    {evex} vmovdqu32 zmm3, ZMMWORD PTR [r10+544]
    {evex} vpsubd zmm1, zmm1, zmm3
    {evex} vcvtdq2ps zmm4, zmm1
    {evex} vcvtph2ps zmm5, YMMWORD PTR [r10+512]
    {evex} vmulps zmm5, zmm5, DWORD PTR [r13]{1to16}
    {evex} vfmadd231ps zmm0, zmm4, zmm5
    {evex} vpxord zmm1, zmm1, zmm1
    {evex} vmovdqu32 ZMMWORD PTR [rsi], zmm0
    {evex} vpbroadcastd zmm8, r15d
    {evex} vmovdqu32 zmm3, ZMMWORD PTR [r10+192]
    {evex} vpandd zmm6, zmm3, zmm8
    {evex} vpsrlw zmm7, zmm3, 4
    {evex} vpdpbusd zmm1, zmm7, zmm2
    {evex} vpbroadcastd zmm3, DWORD PTR [r15+r13*4]
    {evex} vmulps zmm5, zmm5, DWORD PTR [r15+r13*4]{1to16}
    {evex} vcvtph2ps zmm5, YMMWORD PTR [r10+288]
    {evex} vinserti32x4 ymm9, ymm9, [rax+rbx*1+2], 1
    {evex} vinserti32x4 ymm9, ymm9, [rdx+rcx*1+2], 1
    {evex} vinserti32x4 ymm20, ymm9, [r8+32], 1
    {evex} vbroadcasti32x4 ymm12, [r8]
    {evex} vbroadcasti32x4 ymm13, [r8+16]
    {evex} vbroadcasti32x4 ymm15, [rsi+18]
    {evex} vmovq xmm6, r13
    {evex} vmovq xmm22, r9
    vpermps ymm7, ymm24, ymm6
    vpermps ymm7, ymm27, ymm6
    {evex} vcvtph2ps ymm6, xmm6
    {evex} vcvtph2ps ymm20, xmm3
    movzx r13d, WORD PTR [rdx+rcx*1]
    movzx r14d, WORD PTR [rax+rbx*2]
    movzx r14d, WORD PTR [rax]
    movzx r15d, WORD PTR [rdx]
    movzx edi, WORD PTR [r9+r11*1+2]
    shl r13, 32
    shl r13d, 16
    shl r14d, 16
    or r13, r14
    or r13d, r14d
    or rax, rbx
    {evex} vpmaddubsw ymm12, ymm10, ymm0
    {evex} vpmaddubsw ymm13, ymm11, ymm7
    vpmaddubsw ymm20, ymm27, ymm3
    vpdpwssd ymm14, ymm12, DWORD PTR [rsi+4]{1to8}
    vpdpwssd ymm14, ymm13, DWORD PTR [rsi+220]{1to8}
    vpdpwssd ymm30, ymm13, DWORD PTR [r11+1024]{1to8}
    vfmadd231ps ymm16, ymm15, DWORD PTR [rsi+32]{1to8}
    vfmadd231ps ymm19, ymm15, DWORD PTR [rsi+224]{1to8}
    {evex} vpmovzxbw xmm12, xmm12
    {evex} vpmovzxbw xmm20, xmm3
    {evex} vpmaddwd xmm12, xmm12, xmm15
    {evex} vpmaddwd xmm13, xmm26, xmm15
    {evex} vpmaddwd ymm13, ymm26, ymm15
    {evex} vpackssdw xmm15, xmm12, xmm13
    {evex} vfnmadd231ps xmm28, xmm12, xmm11
    {evex} vfnmadd231ps xmm4, xmm12, xmm11
    {evex} vpermilps xmm11, xmm10, 0x55
    {evex} vpermilps xmm27, xmm10, 0x55
    and r11, 0x3f3f3f3f
    and r12d, 0x0f0f0f0f
    shr r12d, 6
    shr r13, 4
    pdep r12, r11, r14
    pdep r15, rdi, rbp
    pdep rdi, r13, r14
    vmovdqu32 XMMWORD PTR [rsp], xmm6
    vmovdqu32 XMMWORD PTR [rsp+144], xmm15
    vmovdqu32 xmm6, XMMWORD PTR [rsp]
    vmovdqu32 xmm15, XMMWORD PTR [rsp+144]
