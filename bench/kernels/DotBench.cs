using System.Diagnostics;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

/// <summary>
/// Kernel-only timing: one 8192-element row pair that stays in L1/L2, best of many short runs (robust on a
/// loaded machine), for every ISA level. Reports ns per row and the weight bytes per second that implies.
/// </summary>
internal static unsafe class DotBench
{
    public static void Run()
    {
        const int n = 8192;
        var types = new[] { GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.IQ4_NL,
                            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS,
                            GgmlType.F16, GgmlType.BF16, GgmlType.F32 };
        var rng = new Random(3);
        var w = new float[n]; var x = new float[n];
        for (int i = 0; i < n; i++) { w[i] = (float)(rng.NextDouble() * 2 - 1); x[i] = (float)(rng.NextDouble() * 2 - 1); }
        Console.WriteLine($"{"type",-7}{"isa",-8}{"ns/row",10}{"GB/s",8}");
        foreach (var type in types)
        {
            var wq = new byte[GgmlTypeInfo.Get(type).RowBytes(n)];
            Quantization.Quantize(type, w, wq);
            var xq = new byte[VecDot.ActivationRowBytes(type, n)];
            VecDot.QuantizeActivations(type, x, xq);
            fixed (byte* pw = wq)
            fixed (byte* px = xq)
            {
                foreach (var isa in CpuKernels.Available)
                {
                    var k = DotKernels.For(type, isa);
                    float sink = 0;
                    for (int i = 0; i < 200; i++) sink += k(pw, px, n);
                    double best = double.MaxValue;
                    int reps = isa == KernelIsa.Scalar ? 3 : 20;
                    for (int t = 0; t < 300; t++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        for (int r = 0; r < reps; r++) sink += k(pw, px, n);
                        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds / reps);
                    }
                    Console.WriteLine($"{GgmlTypeInfo.Get(type).Name,-7}{isa,-8}{best * 1e9,10:F0}{wq.Length / best / 1e9,8:F2}{(sink == 12345 ? "!" : "")}");
                }
            }
        }
    }
}
