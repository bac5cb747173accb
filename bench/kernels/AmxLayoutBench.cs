using System.Diagnostics;
using SharpInfer.Backends;
using SharpInfer.Backends.Cpu;
using SharpInfer.Backends.Cpu.Amx;
using SharpInfer.Backends.Cpu.Amx.Kernels;
using SharpInfer.Inference;
using SharpInfer.Models;
using SharpInfer.Platform.X64;

/// <summary>
/// Generation over the AMX buffer's layouts on any AVX-512 CPU: one-token products never run a tile program (they run the
/// vector gemv over the packed bytes, F16 its AVX-512 kernel), so a model placed by an AMX buffer type whose tile runner
/// refuses every program generates natively here. Alternates the plain path, that placement and what <c>--amx</c> gives on
/// this CPU (CPU_REPACK without AMX, the real AMX buffer with it), and prints tokens per second and the ratio to the plain path.
/// With <c>--prompt</c> it times a prompt instead, where only F16 weights avoid the tile programs.
/// </summary>
internal static class AmxLayoutBench
{
    public static void Run(string[] args)
    {
        if (args.Length < 2) throw new ArgumentException("usage: amx-layout MODEL [threads] [tokens] [repetitions] [--prompt]");
        string path = args[1];
        int threads = args.Length > 2 ? int.Parse(args[2]) : 2;
        int tokens = args.Length > 3 ? int.Parse(args[3]) : 32;
        int reps = args.Length > 4 ? int.Parse(args[4]) : 7;
        bool prompt = args.Contains("--prompt");
        var amxBackends = new BackendSet(CpuBackend.CreateDefault(AmxBufferTypeSource.WithRunner(new RefusingTileRunner())));
        using var plain = Model.Load(path);
        using var amx = Model.Load(path, new ModelParams { UseAmx = true }, amxBackends);
        using var repack = Model.Load(path, new ModelParams { UseAmx = true });
        var cp = new ContextParams { ContextLength = tokens + 8, Threads = threads };
        var runs = new List<(string Name, Model Model)> { ("plain", plain), ("AMX layout", amx), ("--amx (this CPU)", repack) };
        for (int i = 0; i < runs.Count; i++)
        {
            try
            {
                Measure(runs[i].Model, cp, tokens, prompt); // warm up
            }
            catch (NotSupportedException e) when (runs[i].Model == amx)
            {
                Console.WriteLine($"  {runs[i].Name}: not timed here ({e.Message})");
                runs.RemoveAt(i--);
            }
        }
        var times = new List<double>[runs.Count];
        for (int i = 0; i < runs.Count; i++) times[i] = [];
        for (int r = 0; r < reps; r++)
        {
            for (int i = 0; i < runs.Count; i++) times[i].Add(Measure(runs[i].Model, cp, tokens, prompt));
            if (Environment.GetEnvironmentVariable("AMX_LAYOUT_VERBOSE") == "1")
                Console.WriteLine("  run " + string.Join("  ", times.Select(t => t[^1].ToString("F2"))));
        }
        Console.WriteLine($"{Path.GetFileName(path)}, {threads} threads, {(prompt ? "prompt" : "generation")} of {tokens} tokens, median of {reps} alternated runs:");
        double baseline = Median(times[0]);
        for (int i = 0; i < runs.Count; i++)
            Console.WriteLine($"  {runs[i].Name,-26} {Median(times[i]),8:F2} t/s  {Median(times[i]) / baseline:F3}x");
    }

    private static double Measure(Model model, ContextParams cp, int tokens, bool prompt)
    {
        using var context = model.CreateContext(cp);
        var ids = new int[tokens];
        for (int i = 0; i < tokens; i++) ids[i] = 1 + i * 7919 % 1000;
        if (prompt)
        {
            long p0 = Stopwatch.GetTimestamp();
            context.Decode(ids);
            return tokens / Stopwatch.GetElapsedTime(p0).TotalSeconds;
        }
        var one = new[] { 1 };
        context.Decode(one);
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < tokens; i++)
        {
            one[0] = ids[i];
            context.Decode(one);
        }
        return tokens / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>A tile runner for a CPU without AMX: a product that reaches a tile program is a batch this bench cannot time.</summary>
    private sealed unsafe class RefusingTileRunner : ITileProgramRunner
    {
        public X64Abi Abi => X64Abi.Native;

        public void Run(byte[] program, void* args) =>
            throw new NotSupportedException("a tile program was reached: batches of quantized weights need AMX (time generation, or F16 prompts)");
    }
}
