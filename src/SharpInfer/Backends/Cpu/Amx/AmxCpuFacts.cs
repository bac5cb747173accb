namespace SharpInfer.Backends.Cpu.Amx;

/// <summary>What CPUID says about AMX: leaf 7 subleaf 0, EDX bits 22 (BF16), 24 (TILE), 25 (INT8).</summary>
internal readonly record struct AmxCpuFacts(bool IsX64, bool Tile, bool Int8, bool Bf16)
{
    public static AmxCpuFacts FromLeaf7Edx(int edx) =>
        new(true, (edx & (1 << 24)) != 0, (edx & (1 << 25)) != 0, (edx & (1 << 22)) != 0);

    public static AmxCpuFacts Query()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture !=
            System.Runtime.InteropServices.Architecture.X64 || !System.Runtime.Intrinsics.X86.X86Base.IsSupported)
            return new AmxCpuFacts(false, false, false, false);
        var (_, _, _, edx) = System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0);
        return FromLeaf7Edx(edx);
    }
}
