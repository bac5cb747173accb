using System.Runtime.Intrinsics.X86;
Console.WriteLine($"Avx2 {Avx2.IsSupported} Fma {Fma.IsSupported} AvxVnni {AvxVnni.IsSupported} Avx512BW {Avx512BW.IsSupported} Avx512Vbmi {Avx512Vbmi.IsSupported} Avx10v1 {Avx10v1.IsSupported} AvxVnniInt8 {AvxVnniInt8.IsSupported} V512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated} F16C? ");
