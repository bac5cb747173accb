using System.CommandLine;
using SharpInfer.Numerics;
using SharpInfer.Tools;

namespace SharpInfer.Cli.Commands;

/// <summary><c>sharpinfer quantize IN.gguf OUT.gguf TYPE</c>: a type name is <c>llama-quantize --pure</c>; Q4_K_M and Q5_K_M are llama.cpp's mixtures.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Source GGUF (F32, F16 or BF16 weights)" };
        var output = new Argument<string>("OUT") { Description = "GGUF file to write" };
        var type = new Argument<string>("TYPE") { Description = "Target type (pure) or mixture: " + string.Join(", ", QuantizationScheme.Names) };
        var requantize = new Option<bool>("--allow-requantize") { Description = "Allow requantizing already-quantized tensors" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print stack traces on errors" };
        var cmd = new Command("quantize", "Write a copy of a model with every 2-D weight in one type (llama-quantize --pure) or in a Q4_K_M / Q5_K_M mixture")
            { input, output, type, requantize, verbose };
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(verbose), () =>
        {
            var typeName = r.GetValue(type)!;
            var scheme = QuantizationScheme.TryParse(typeName)
                ?? throw new SharpInferException($"unknown type '{typeName}'; choose one of {string.Join(", ", QuantizationScheme.Names)}");
            var inPath = r.GetValue(input)!;
            var outPath = r.GetValue(output)!;
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath)) throw new SharpInferException("IN and OUT are the same file");
            Console.Error.WriteLine($"quantize: {inPath} -> {outPath} as {scheme.Name}");
            var reports = ModelQuantizer.Quantize(inPath, outPath, scheme, r.GetValue(requantize), (t, i, n) =>
                Console.Error.WriteLine($"[{i,4}/{n,4}] {t.Name,-32} {GgmlTypeInfo.Get(t.From).Name,6} -> {GgmlTypeInfo.Get(t.To).Name,-6} {t.BytesIn / 1048576.0,9:F2} MiB -> {t.BytesOut / 1048576.0,9:F2} MiB"));
            long before = 0, after = 0;
            foreach (var t in reports) { before += t.BytesIn; after += t.BytesOut; }
            Console.Error.WriteLine($"quantize: model size {before / 1048576.0:F2} MiB -> {after / 1048576.0:F2} MiB; wrote {new FileInfo(outPath).Length} bytes");
            return 0;
        }));
        return cmd;
    }
}
