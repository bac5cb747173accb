using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpInfer.Numerics;
using SharpInfer.Numerics.Kernels;
using SharpInfer.Numerics.Quants;

/// <summary>
/// Prompt-processing shape on one thread: a 1024 x 2048 weight matrix times 64 activation rows through
/// MatMul.Multiply, best of many runs. Reports multiply-accumulates per second (the pp kernels' figure of merit).
/// </summary>
internal static unsafe class GemmBench
{
    public static void Run(string[] args)
    {
        // "gemv": one activation row against 256 weight rows that stay in L2 (generation's kernels, compute-bound).
        bool gemv = args[0] == "gemv";
        int rows = gemv ? 256 : 1024, nAct = gemv ? 1 : 64;
        const int k = 2048;
        var types = args.Length > 1 ? args[1].Split(',').Select(Enum.Parse<GgmlType>).ToArray()
                                    : new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K };
        var rng = new Random(5);
        var wf = new float[k];
        var x = new float[k * nAct];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        foreach (var type in types)
        {
            long rowBytes = GgmlTypeInfo.Get(type).RowBytes(k);
            byte* w = (byte*)NativeMemory.AlignedAlloc((nuint)(rowBytes * rows), 64);
            var q = new byte[rowBytes];
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < k; i++) wf[i] = (float)(rng.NextDouble() * 2 - 1);
                Quantization.Quantize(type, wf, q);
                q.AsSpan().CopyTo(new Span<byte>(w + r * rowBytes, (int)rowBytes));
            }
            int actBytes = VecDot.ActivationRowBytes(type, k);
            byte* a = (byte*)NativeMemory.AlignedAlloc((nuint)(actBytes * nAct), 64);
            float* o = (float*)NativeMemory.AlignedAlloc((nuint)(rows * nAct * 4), 64);
            fixed (float* px = x) MatMul.QuantizeActivations(type, px, nAct, k, a);
            for (int i = 0; i < 3; i++) MatMul.Multiply(null, type, w, rows, k, a, nAct, o);
            double best = double.MaxValue;
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 2000)
            {
                long t0 = Stopwatch.GetTimestamp();
                MatMul.Multiply(null, type, w, rows, k, a, nAct, o);
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            double checksum = 0;
            for (int i = 0; i < rows * nAct; i++) checksum += o[i];
            Console.WriteLine($"{GgmlTypeInfo.Get(type).Name,-7} {(double)rows * k * nAct / best / 1e9,7:F2} GMAC/s {rowBytes * rows / best / 1e9,7:F2} GB/s  ({best * 1e3:F3} ms, checksum {checksum:G9})");
            NativeMemory.AlignedFree(w); NativeMemory.AlignedFree(a); NativeMemory.AlignedFree(o);
        }
    }
}
