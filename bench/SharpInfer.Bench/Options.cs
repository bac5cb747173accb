using SharpInfer.Platform;

namespace SharpInfer.Bench;

public sealed record Options
{
    public string OutDir { get; init; } = Path.Combine("bench", "out");
    public IReadOnlyList<string> Models { get; init; } = ["llama-1b", "qwen2-0.5b"];
    public IReadOnlyList<string> Types { get; init; } = ["F16", "Q8_0", "Q6_K", "Q4_K_M", "Q4_0"];
    public ulong Seed { get; init; } = 1;
    public int Repetitions { get; init; } = 5;
    public int Threads { get; init; } = CpuInfo.PhysicalCores;
    public int Prompt { get; init; } = 512;
    public int Generate { get; init; } = 128;
    public bool FlashAttention { get; init; }
    public string Commit { get; init; } = "(unknown)";
    public string? Results { get; init; }
    public bool Verbose { get; init; }

    public string ResultsPath => Results ?? Path.Combine(OutDir, "results.md");

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int(int min)
            {
                var name = args[i];
                var v = Value();
                if (!int.TryParse(v, out var n) || n < min) throw new ArgumentException($"{name} {v}: expected an integer >= {min}");
                return n;
            }
            o = args[i] switch
            {
                "--out" => o with { OutDir = Value() },
                "--models" => o with { Models = List(Value()) },
                "--types" => o with { Types = List(Value()) },
                "--seed" => o with { Seed = ulong.Parse(Value()) },
                "-r" or "--repetitions" => o with { Repetitions = Int(1) },
                "-t" or "--threads" => o with { Threads = Int(1) },
                "-p" or "--n-prompt" => o with { Prompt = Int(0) },
                "-n" or "--n-gen" => o with { Generate = Int(0) },
                "--fa" => o with { FlashAttention = true },
                "--commit" => o with { Commit = Value() },
                "--results" => o with { Results = Value() },
                "--verbose" or "-v" => o with { Verbose = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        foreach (var m in o.Models) ModelShape.Find(m);
        foreach (var t in o.Types)
            if (SharpInfer.Tools.QuantizationScheme.TryParse(t) is null) throw new ArgumentException($"unknown type '{t}'");
        return o;
    }

    private static string[] List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
