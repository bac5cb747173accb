# Jumps as the emitter produces them: a short backward loop, a far backward jump and far
# forward jumps (GNU as relaxes near forward jumps to rel8; the emitter always uses rel32 forward).
.intel_syntax noprefix
.text
top:
    sub r10, 1
    jne top
    jmp top
    jl far_forward
    jmp far_forward
    .fill 200, 1, 0x90
far_forward:
    jge top
    jmp top
    ret
