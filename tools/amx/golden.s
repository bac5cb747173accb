# Golden listing for the SharpInfer x86-64/AMX emitter (Intel syntax).
# tests/SharpInfer.Tests/Amx/X64EmitterGoldenTests.cs pins the bytes GNU as produces for each line;
# regen-golden.sh re-assembles this file and prints them.
.intel_syntax noprefix
.text
    ldtilecfg [rdi]
    ldtilecfg [rsp]
    sttilecfg [rsi+64]
    tilerelease
    tilezero tmm0
    tilezero tmm5
    tilezero tmm7
    tileloadd tmm0, [rax+rdx*1]
    tileloadd tmm2, [rax+r8*1]
    tileloadd tmm3, [r14+r8*1]
    tileloadd tmm1, [r9+r12*1]
    tileloadd tmm7, [r13+r12*1+64]
    tileloadd tmm1, [rsp+rcx*4+1024]
    tileloaddt1 tmm4, [rbx+rsi*1]
    tilestored [rcx+rdx*1], tmm4
    tilestored [rcx+rdx*1+64], tmm6
    tilestored [r15+rdx*1], tmm5
    tilestored [r15+rdx*1+64], tmm7
    tdpbssd tmm4, tmm2, tmm0
    tdpbssd tmm6, tmm2, tmm1
    tdpbssd tmm5, tmm3, tmm0
    tdpbssd tmm7, tmm3, tmm1
    tdpbsud tmm4, tmm2, tmm0
    tdpbusd tmm4, tmm2, tmm0
    tdpbuud tmm4, tmm2, tmm0
    tdpbf16ps tmm4, tmm2, tmm0
    tdpbf16ps tmm0, tmm7, tmm1
    mov r11, rdi
    mov r11, rcx
    mov r8, rdi
    mov r8, rcx
    mov rax, r14
    mov eax, ecx
    mov rax, 0x7fffffff
    mov rax, -1
    mov r10, 64
    mov rax, 0x123456789
    mov r9, 0x100000000
    mov eax, 5
    mov r12d, 7
    mov ecx, 0
    mov rax, qword ptr [r11]
    mov r8, qword ptr [r11+8]
    mov rbx, qword ptr [r11+16]
    mov r13, qword ptr [r11+0x100]
    mov rax, qword ptr [r12+8]
    mov rax, qword ptr [rbp]
    mov rax, qword ptr [r13]
    mov eax, dword ptr [rdi+rcx*4]
    mov qword ptr [rsp], rax
    mov qword ptr [rsp+8], rax
    mov qword ptr [rsp+56], rax
    mov dword ptr [rdi], esi
    mov dword ptr [r8], eax
    mov dword ptr [r8+4], edx
    lea r14, [rax+r8*8]
    lea rax, [rdi+rsi*1]
    lea r15, [rcx+rdx*1+0x200]
    add rax, rcx
    add r14, r13
    add eax, esi
    add rax, 8
    add rax, 0x1000
    add rcx, 0x1000
    add rsp, 64
    add eax, dword ptr [rdi+rcx*4]
    add rax, qword ptr [r11+24]
    sub rsp, 64
    sub r10, 1
    sub rcx, rdx
    sub rax, 0x1000
    cmp rcx, rsi
    cmp rax, 0x1000
    cmp r10, 0
    cmp ecx, esi
    test r10, r10
    test esi, esi
    imul rax, rcx
    imul r14, r8
    imul r14, r8, 16
    imul rax, rcx, 0x1000
    push rbx
    push r12
    push r15
    push rdi
    pop rbx
    pop r12
    pop r15
    pop rdi
    ret
    xgetbv
    call rax
    call r11
