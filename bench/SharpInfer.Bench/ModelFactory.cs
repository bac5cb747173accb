using System.Diagnostics;
using SharpInfer.Tools;

namespace SharpInfer.Bench;

/// <summary>Makes bench/out/MODEL-TYPE.gguf on demand: the F16 master from random weights, the rest quantized from it by our quantizer.</summary>
public static class ModelFactory
{
    public static string PathFor(Options o, string model, string type) => Path.Combine(o.OutDir, $"{model}-{type.ToUpperInvariant()}.gguf");

    public static void MakeAll(Options o)
    {
        Directory.CreateDirectory(o.OutDir);
        foreach (var m in o.Models)
            foreach (var t in o.Types)
                Make(o, ModelShape.Find(m), t);
    }

    public static string Make(Options o, ModelShape shape, string type)
    {
        var path = PathFor(o, shape.Name, type);
        if (File.Exists(path)) return path;
        var master = PathFor(o, shape.Name, "F16");
        if (!File.Exists(master))
        {
            var vocab = Path.Combine(RepoRoot(), "tests", "fixtures", "models", "vocab", shape.VocabFixture);
            Console.Error.WriteLine($"make-models: {master} (random weights, seed {o.Seed})");
            var clock = Stopwatch.StartNew();
            Atomically(master, tmp => RandomModelWriter.Write(shape, vocab, tmp, o.Seed));
            Console.Error.WriteLine($"make-models: wrote {new FileInfo(master).Length / 1048576.0:F0} MiB in {clock.Elapsed.TotalSeconds:F0} s");
        }
        if (path == master) return path;
        var scheme = QuantizationScheme.TryParse(type) ?? throw new ArgumentException($"unknown type '{type}'");
        Console.Error.WriteLine($"make-models: {path} ({scheme.Name} from F16)");
        var timer = Stopwatch.StartNew();
        Atomically(path, tmp => ModelQuantizer.Quantize(master, tmp, scheme));
        Console.Error.WriteLine($"make-models: wrote {new FileInfo(path).Length / 1048576.0:F0} MiB in {timer.Elapsed.TotalSeconds:F0} s");
        return path;
    }

    // A killed run must not leave a half-written file that the next run would take as done.
    private static void Atomically(string path, Action<string> write)
    {
        var tmp = path + ".partial";
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpInfer.sln"))) return d.FullName;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpInfer.sln"))) return d.FullName;
        throw new ArgumentException("cannot find the repository root (SharpInfer.sln)");
    }
}
