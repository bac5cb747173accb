using System.CommandLine;
using System.Text.Json;
using SharpInfer.Models;
using SharpInfer.Platform;
using SharpInfer.Tools;

namespace SharpInfer.Cli.Commands;

/// <summary><c>sharpinfer bench</c>, modelled on llama-bench: a markdown table or JSON of tokens/s.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var m = new ModelOptions();
        var prompt = new Option<int[]>("--n-prompt", "-p") { Description = "Prompt sizes to test (ppN); 0 skips", DefaultValueFactory = _ => [512], AllowMultipleArgumentsPerToken = true };
        var gen = new Option<int[]>("--n-gen", "-n") { Description = "Generation lengths to test (tgN); 0 skips", DefaultValueFactory = _ => [128], AllowMultipleArgumentsPerToken = true };
        var reps = new Option<int>("--repetitions", "-r") { Description = "Repetitions of each test", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--output", "-o") { Description = "md or json", DefaultValueFactory = _ => "md" };
        var cmd = new Command("bench", "Measure prompt processing and generation speed, like llama-bench") { prompt, gen, reps, output };
        m.AddTo(cmd);
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(m.Verbose), () =>
        {
            var format = r.GetValue(output)!;
            if (format is not ("md" or "json")) throw new SharpInfer.SharpInferException($"-o {format}: expected md or json");
            var repetitions = r.GetValue(reps);
            if (repetitions < 1) throw new SharpInfer.SharpInferException($"-r {repetitions}: must be at least 1");
            var tests = new List<BenchmarkTest>();
            foreach (var n in r.GetValue(prompt)!)
            {
                if (n < 0) throw new SharpInfer.SharpInferException($"-p {n}: must not be negative");
                if (n > 0) tests.Add(new BenchmarkTest($"pp{n}", true, n));
            }
            foreach (var n in r.GetValue(gen)!)
            {
                if (n < 0) throw new SharpInfer.SharpInferException($"-n {n}: must not be negative");
                if (n > 0) tests.Add(new BenchmarkTest($"tg{n}", false, n));
            }
            var modelParams = m.ModelParams(r);
            GpuNotice.Print(modelParams);
            var contextParams = m.ContextParams(r);
            var threads = contextParams.Threads > 0 ? contextParams.Threads : CpuInfo.PhysicalCores;
            contextParams = contextParams with { Threads = threads };
            using var model = Model.Load(m.ModelPath(r), modelParams);
            foreach (var line in model.Plan.Messages) Console.Error.WriteLine(line);
            var results = new List<BenchmarkResult>();
            var name = $"{model.ArchitectureName} {FormatParams(model.File.ParameterCount)} {FileTypeName(model)}";
            var size = FileSizeOfWeights(model);
            // As llama-bench: a build's GPU backend names the row once layers are offloaded, and -ngl gets a column.
            var backend = model.Plan.OffloadedLayers > 0 ? "CUDA" : modelParams.UseAmx ? "CPU (--amx)" : "CPU";
            bool nglColumn = modelParams.NGpuLayers != 0;
            if (format == "md")
            {
                Console.WriteLine($"| model | size | params | backend | threads |{(nglColumn ? " ngl |" : "")} test | t/s |");
                Console.WriteLine($"| ----- | ---: | -----: | ------- | ------: |{(nglColumn ? " --: |" : "")} ---: | --: |");
            }
            foreach (var test in tests)
            {
                var result = Benchmark.Run(model, contextParams, test, repetitions);
                results.Add(result);
                if (format == "md")
                    Console.WriteLine($"| {name} | {size / 1048576.0:F2} MiB | {FormatParams(model.File.ParameterCount)} | {backend} | {threads} |{(nglColumn ? $" {modelParams.NGpuLayers} |" : "")} {test.Name} | {result.Mean:F2} ± {result.StdDev:F2} |");
            }
            if (format == "json")
            {
                using var stdout = Console.OpenStandardOutput();
                using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
                w.WriteStartArray();
                foreach (var res in results)
                {
                    w.WriteStartObject();
                    w.WriteString("model_filename", model.File.Path);
                    w.WriteString("model_type", name);
                    w.WriteNumber("model_size", size);
                    w.WriteNumber("model_n_params", model.File.ParameterCount);
                    w.WriteString("backend", backend);
                    w.WriteNumber("n_threads", threads);
                    w.WriteNumber("n_gpu_layers", modelParams.NGpuLayers);
                    w.WriteBoolean("amx", modelParams.UseAmx);
                    w.WriteString("test", res.Test.Name);
                    w.WriteNumber("n_prompt", res.Test.IsPrompt ? res.Test.Tokens : 0);
                    w.WriteNumber("n_gen", res.Test.IsPrompt ? 0 : res.Test.Tokens);
                    w.WriteNumber("avg_ts", res.Mean);
                    w.WriteNumber("stddev_ts", res.StdDev);
                    w.WriteStartArray("samples_ts");
                    foreach (var v in res.TokensPerSecond) w.WriteNumberValue(v);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.Flush();
                stdout.WriteByte((byte)'\n');
            }
            return 0;
        }));
        return cmd;
    }

    private static long FileSizeOfWeights(Model model)
    {
        long n = 0;
        foreach (var t in model.File.Tensors) n += t.ByteSize;
        return n;
    }

    private static string FormatParams(long n) => n >= 1_000_000_000 ? $"{n / 1e9:F2} B" : n >= 1_000_000 ? $"{n / 1e6:F2} M" : $"{n / 1e3:F2} K";

    private static string FileTypeName(Model model)
    {
        var counts = new Dictionary<string, long>();
        foreach (var t in model.File.Tensors)
            if (t.Dimensions.Length >= 2) counts[t.TypeInfo.Name] = counts.GetValueOrDefault(t.TypeInfo.Name) + t.ByteSize;
        var best = "";
        long most = -1;
        foreach (var (k, v) in counts)
            if (v > most) { best = k; most = v; }
        return best;
    }
}
