using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;
using SharpInfer.Numerics.Threading;

// Matrix-vector (and small matrix-matrix) timing of MatMul.Multiply: a weight matrix of `rows` rows of
// `rowLength` elements times activation rows. Reports weight bytes streamed per second.
// Usage: dotnet run -c Release --project bench/kernels [-- rows rowLength [Q4_0,Q8_0,...]]
//        dotnet run -c Release --project bench/kernels -- dot    (kernel-only, every ISA level)
//        dotnet run -c Release --project bench/kernels -- pool   (WorkerPool.Run latency)
//        dotnet run -c Release --project bench/kernels -- gemm [Q8_0,...]  (pp-shaped product, one thread)
//        dotnet run -c Release --project bench/kernels -- gemv [Q8_0,...]  (one activation row, weights in L2, one thread)
//        dotnet run -c Release --project bench/kernels -- amx-layout MODEL [threads tokens reps] [--prompt]
//            (generation on the AMX buffer's layouts against the plain path and CPU_REPACK, no AMX needed)
// On a shared machine read the "best" columns: the means include time the OS gave to other processes.
if (args.Length > 0 && args[0] == "dot") { DotBench.Run(); return; }
if (args.Length > 0 && args[0] == "pool") { PoolBench.Run(); return; }
if (args.Length > 0 && args[0] is "gemm" or "gemv") { GemmBench.Run(args); return; }
if (args.Length > 0 && args[0] == "amx-layout") { AmxLayoutBench.Run(args); return; }
int rows = args.Length > 0 ? int.Parse(args[0]) : 8192;
int rowLength = args.Length > 1 ? int.Parse(args[1]) : 2048;
Console.WriteLine($"ISA {CpuKernels.Best}, physical cores {WorkerPool.DefaultThreadCount}, matrix {rowLength}x{rows} (row length x rows)");

var types = args.Length > 2 ? args[2].Split(",").Select(Enum.Parse<GgmlType>).ToArray() : new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.F16 };
foreach (var type in types)
{
    var info = GgmlTypeInfo.Get(type);
    long rowBytes = info.RowBytes(rowLength);
    long bytes = rowBytes * rows;
    unsafe
    {
        byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        var rng = new Random(1);
        var row = new float[rowLength];
        var q = new byte[rowBytes];
        for (int r = 0; r < 64; r++)
        {
            for (int i = 0; i < rowLength; i++) row[i] = (float)(rng.NextDouble() * 2 - 1);
            Quantization.Quantize(type, row, q);
            for (long rr = r; rr < rows; rr += 64) q.AsSpan().CopyTo(new Span<byte>(w + rr * rowBytes, (int)rowBytes));
        }
        const int maxAct = 8;
        int actBytes = VecDot.ActivationRowBytes(type, rowLength);
        byte* a = (byte*)NativeMemory.AlignedAlloc((nuint)(actBytes * maxAct), 64);
        float* x = (float*)NativeMemory.Alloc((nuint)(rowLength * maxAct * 4));
        for (int i = 0; i < rowLength * maxAct; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        MatMul.QuantizeActivations(type, x, maxAct, rowLength, a);
        float* o = (float*)NativeMemory.Alloc((nuint)(rows * maxAct * 4));

        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            foreach (int nAct in new[] { 1, maxAct })
            {
                for (int i = 0; i < 5; i++) MatMul.Multiply(pool, type, w, rows, rowLength, a, nAct, o); // warm up / tier up
                int iters = 0;
                var sw = Stopwatch.StartNew();
                double best = double.MaxValue;
                while (sw.ElapsedMilliseconds < 1500 || iters < 5)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    MatMul.Multiply(pool, type, w, rows, rowLength, a, nAct, o);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    iters++;
                }
                double mean = sw.Elapsed.TotalSeconds / iters;
                Console.WriteLine($"{info.Name,-5} threads {threads} act rows {nAct}: {bytes / mean / 1e9,6:F2} GB/s mean, {bytes / best / 1e9,6:F2} GB/s best " +
                                  $"({mean * 1e3:F3} ms/op, {2.0 * rows * rowLength * nAct / mean / 1e9:F1} GFLOP/s)");
            }
        }
        NativeMemory.AlignedFree(w); NativeMemory.AlignedFree(a); NativeMemory.Free(x); NativeMemory.Free(o);
    }
}
