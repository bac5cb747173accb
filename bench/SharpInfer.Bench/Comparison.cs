using System.Diagnostics;
using System.Globalization;
using System.Text;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Bench;

/// <summary>One test's samples (tokens per second per repetition) for one runtime.</summary>
public sealed class Samples
{
    public List<double> Values { get; } = [];

    public double Mean => Values.Count == 0 ? 0 : Values.Average();

    /// <summary>Sample standard deviation, as llama-bench prints it.</summary>
    public double StdDev
    {
        get
        {
            if (Values.Count < 2) return 0;
            var m = Mean;
            return Math.Sqrt(Values.Sum(v => (v - m) * (v - m)) / (Values.Count - 1));
        }
    }

    public double Median
    {
        get
        {
            if (Values.Count == 0) return 0;
            var s = Values.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    public string Format() => $"{Mean:F2} ± {StdDev:F2}";
}

public sealed record Row(string Model, string Type, long SizeBytes, string Test, Samples Ours, Samples Theirs, Samples? Bandwidth = null)
{
    public double Ratio => Theirs.Median == 0 ? double.NaN : Ours.Median / Theirs.Median;

    /// <summary>The weights a token reads (the file's tensors) at a runtime's median rate, as a share of the median read bandwidth.</summary>
    public double BandwidthShare(Samples s) => Bandwidth is null || Bandwidth.Median == 0 ? double.NaN : SizeBytes * s.Median / 1e9 / Bandwidth.Median;
}

/// <summary>
/// SharpInfer against llama.cpp on the same file, llama-bench's way: ppN decodes N random tokens as
/// one batch into an emptied cache, tgN decodes N random tokens one at a time into an emptied cache.
/// Each runtime gets one untimed warm-up run per test; then the timed repetitions alternate between
/// the runtimes (and which goes first), so drift in clock speed or load hits both alike.
/// </summary>
public static class Comparison
{
    public static void Run(Options o)
    {
        var rows = new List<Row>();
        var (lib, avx, sysInfo) = NativeProbe.Describe();
        var header = Header(o, lib, avx, sysInfo);
        Console.WriteLine(header);
        Console.WriteLine(TableHead);
        using var reader = new DisposableLazy<ReadBandwidth>(() => new ReadBandwidth(o.Threads));
        foreach (var m in o.Models)
        {
            var shape = ModelShape.Find(m);
            foreach (var t in o.Types)
            {
                var path = ModelFactory.Make(o, shape, t);
                foreach (var row in RunModel(o, shape.Name, t, path, reader))
                {
                    rows.Add(row);
                    Console.WriteLine(FormatRow(row));
                }
            }
        }
        var md = new StringBuilder();
        md.AppendLine(header);
        md.AppendLine(TableHead);
        foreach (var r in rows) md.AppendLine(FormatRow(r));
        var bandwidth = BandwidthTable(rows, o.Threads);
        if (bandwidth.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine(bandwidth);
            md.AppendLine();
            md.Append(bandwidth);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(o.ResultsPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(o.ResultsPath, md.ToString());
        Console.Error.WriteLine($"compare: wrote {o.ResultsPath}");
    }

    private const string TableHead =
        "| model | type | size | test | SharpInfer t/s | llama.cpp t/s | SharpInfer / llama.cpp (medians) |\n" +
        "| ----- | ---- | ---: | ---- | -------------: | ------------: | -------------------------------: |";

    private static string FormatRow(Row r) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {r.Model} | {r.Type} | {r.SizeBytes / 1048576.0:F0} MiB | {r.Test} | {r.Ours.Format()} | {r.Theirs.Format()} | {r.Ratio:F2} |");

    /// <summary>Generation rows against the read bandwidth measured between their repetitions (empty when there are none).</summary>
    private static string BandwidthTable(List<Row> rows, int threads)
    {
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            if (r.Bandwidth is null) continue;
            if (sb.Length == 0)
            {
                sb.AppendLine($"Generation against the read bandwidth ({threads} threads each reading its share of 1 GiB, best of 3 " +
                              "passes, measured between the repetitions): the file's tensors once per token at the median rate.");
                sb.AppendLine();
                sb.AppendLine("| model | type | test | read bandwidth GB/s (median) | SharpInfer GB/s (share) | llama.cpp GB/s (share) |");
                sb.AppendLine("| ----- | ---- | ---- | ---------------------------: | ----------------------: | ---------------------: |");
            }
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Type} | {r.Test} | {r.Bandwidth.Median:F1} | {r.SizeBytes * r.Ours.Median / 1e9:F1} ({r.BandwidthShare(r.Ours) * 100:F0}%) | " +
                $"{r.SizeBytes * r.Theirs.Median / 1e9:F1} ({r.BandwidthShare(r.Theirs) * 100:F0}%) |"));
        }
        return sb.ToString();
    }

    private static string Header(Options o, string lib, string avx, string sysInfo)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# SharpInfer vs llama.cpp");
        sb.AppendLine();
        sb.AppendLine($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine($"- machine: {CpuName()}, {Environment.ProcessorCount} logical CPUs, {SharpInfer.Platform.CpuInfo.PhysicalCores} physical cores");
        sb.AppendLine($"- SharpInfer commit: {o.Commit}; .NET {Environment.Version}");
        sb.AppendLine($"- llama.cpp: LLamaSharp.Backend.Cpu 0.30.0 (llama.cpp c0c7e147), {avx} build ({lib})");
        sb.AppendLine($"- llama.cpp system info: `{sysInfo}`");
        sb.AppendLine($"- settings: threads {o.Threads}, repetitions {o.Repetitions}, n_batch 2048, n_ubatch 512, " +
                      $"KV cache F16, flash attention {(o.FlashAttention ? "on" : "off")} in llama.cpp, seed {o.Seed}");
        return sb.ToString();
    }

    private static IEnumerable<Row> RunModel(Options o, string model, string type, string path, DisposableLazy<ReadBandwidth> reader)
    {
        var tests = new List<(string Name, bool Prompt, int Tokens)>();
        if (o.Prompt > 0) tests.Add(($"pp{o.Prompt}", true, o.Prompt));
        if (o.Generate > 0) tests.Add(($"tg{o.Generate}", false, o.Generate));
        if (tests.Count == 0) yield break;

        long size = 0;
        int vocab;
        using (var f = GgufFile.Open(path))
        {
            foreach (var t in f.Tensors) size += t.ByteSize;
            vocab = f.GetValue("tokenizer.ggml.tokens")!.AsArray().Count;
        }
        var settings = new EngineSettings(o.Threads, Math.Max(o.Prompt, o.Generate) + 1, FlashAttention: o.FlashAttention);
        Console.Error.WriteLine($"compare: {model} {type}: loading both runtimes");
        using var ours = new SharpInferEngine(path, settings);
        using var theirs = Load(() => new LlamaCppEngine(path, settings));
        foreach (var (name, isPrompt, n) in tests)
        {
            var rng = new Random(1234);
            var tokens = new int[n];
            for (var i = 0; i < n; i++) tokens[i] = rng.Next(vocab);
            var ourSamples = new Samples();
            var theirSamples = new Samples();
            var bandwidth = isPrompt ? null : new Samples();
            Measure(ours, tokens, isPrompt);
            Measure(theirs, tokens, isPrompt);
            for (var rep = 0; rep < o.Repetitions; rep++)
            {
                var oursFirst = rep % 2 == 0;
                var a = oursFirst ? ours : (IEngine)theirs;
                var b = oursFirst ? (IEngine)theirs : ours;
                var ta = Measure(a, tokens, isPrompt);
                var tb = Measure(b, tokens, isPrompt);
                (oursFirst ? ourSamples : theirSamples).Values.Add(ta);
                (oursFirst ? theirSamples : ourSamples).Values.Add(tb);
                var read = "";
                if (bandwidth is not null)
                {
                    bandwidth.Values.Add(reader.Value.Measure());
                    read = string.Create(CultureInfo.InvariantCulture, $", read bandwidth {bandwidth.Values[^1]:F1} GB/s");
                }
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"compare: {model} {type} {name} rep {rep + 1}/{o.Repetitions}: SharpInfer {ourSamples.Values[^1]:F2} t/s, llama.cpp {theirSamples.Values[^1]:F2} t/s{read}"));
            }
            yield return new Row(model, type, size, name, ourSamples, theirSamples, bandwidth);
        }
    }

    private static LlamaCppEngine Load(Func<LlamaCppEngine> load)
    {
        try
        {
            return load();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(NativeProbe.RecentLog());
            throw new InvalidOperationException($"llama.cpp could not load the model: {e.Message}", e);
        }
    }

    /// <summary>One repetition: empty the cache, evaluate, return tokens per second.</summary>
    private static double Measure(IEngine e, int[] tokens, bool isPrompt)
    {
        e.Reset();
        var clock = Stopwatch.StartNew();
        if (isPrompt)
            e.DecodeBatch(tokens);
        else
            foreach (var t in tokens) e.DecodeOne(t);
        return tokens.Length / clock.Elapsed.TotalSeconds;
    }

    private static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        return System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString();
    }
}

/// <summary>A value made on first use and disposed with the holder (the 1 GiB bandwidth buffer: made once per run, and only when a tg test runs).</summary>
internal sealed class DisposableLazy<T>(Func<T> make) : IDisposable where T : class, IDisposable
{
    private T? _value;

    public T Value => _value ??= make();

    public void Dispose() => _value?.Dispose();
}
