using System.CommandLine;
using System.Diagnostics;
using System.Text;
using SharpInfer.Inference;
using SharpInfer.Inference.Sampling;
using SharpInfer.Models;
using SharpInfer.Placement;

namespace SharpInfer.Cli.Commands;

/// <summary><c>sharpinfer run</c>: generate text from a prompt, like llama-cli in its plain (non-chat) mode.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var m = new ModelOptions();
        var s = new SamplingOptions();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt text" };
        var file = new Option<string?>("--file", "-f") { Description = "Read the prompt from a file" };
        var predict = new Option<int>("--n-predict", "-n") { Description = "Tokens to generate (-1 = until end of generation or a full context)", DefaultValueFactory = _ => -1 };
        var escape = new Option<bool>("--escape", "-e") { Description = "Process escapes (\\n, \\t, \\\\, \\\", \\xNN) in the prompt" };
        var verbosePrompt = new Option<bool>("--verbose-prompt") { Description = "Print the prompt's tokens before generating" };
        var noDisplayPrompt = new Option<bool>("--no-display-prompt") { Description = "Do not echo the prompt" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Never stop at end-of-generation tokens (they are not sampled)" };
        var cmd = new Command("run", "Generate text from a prompt") { prompt, file, predict, escape, verbosePrompt, noDisplayPrompt, ignoreEos };
        m.AddTo(cmd);
        s.AddTo(cmd);
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(m.Verbose), () =>
        {
            var text = r.GetValue(prompt);
            var promptFile = r.GetValue(file);
            if (text is not null && promptFile is not null) throw new SharpInferException("give either -p or -f, not both");
            if (promptFile is not null)
            {
                if (!File.Exists(promptFile)) throw new SharpInferException($"-f {promptFile}: no such file");
                text = File.ReadAllText(promptFile);
            }
            text ??= "";
            if (r.GetValue(escape)) text = Escapes.Process(text);
            var nPredict = r.GetValue(predict);
            if (nPredict < -1) throw new SharpInferException($"-n {nPredict}: must be -1 or more");

            var modelParams = m.ModelParams(r);
            var contextParams = m.ContextParams(r);
            var sampling = s.Parameters(r);
            GpuNotice.Print(modelParams);

            var total = Stopwatch.StartNew();
            Model model;
            using (var bar = new ProgressBar("loading"))
                model = Model.Load(m.ModelPath(r), modelParams with { Progress = bar.Report });
            using var _ = model;
            foreach (var w in model.File.Warnings) Console.Error.WriteLine(w);
            // as llama.cpp does at load: where the weights went
            foreach (var line in model.Plan.Messages) Console.Error.WriteLine(line);
            foreach (var line in PlanFormatter.LoadTensorsLines(model.Plan)) Console.Error.WriteLine(line);
            using var context = model.CreateContext(contextParams);
            var loadMs = total.Elapsed.TotalMilliseconds;
            Console.Error.WriteLine($"load: {model.File.Path}: {model.ArchitectureName}, {model.File.ParameterCount} parameters, context {context.ContextLength}");

            var generator = new TextGenerator(context, sampling);
            Console.Error.WriteLine($"sampler seed: {generator.Sampler.Seed}");
            if (r.GetValue(ignoreEos))
                foreach (var eog in model.Tokenizer.EndOfGenerationIds) generator.Sampler.Ban(eog);
            var promptTokens = model.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true);
            if (r.GetValue(verbosePrompt))
            {
                Console.Error.WriteLine($"main: prompt: '{text}'");
                Console.Error.WriteLine($"main: number of tokens in prompt = {promptTokens.Length}");
                foreach (var t in promptTokens)
                    Console.Error.WriteLine($"{t,6} -> '{Encoding.UTF8.GetString(model.Tokenizer.TokenToPiece(t, renderSpecial: true))}'");
            }
            if (!r.GetValue(noDisplayPrompt)) Console.Out.Write(text);

            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (cancel.IsCancellationRequested) return; // a second Ctrl-C ends the process
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var stream = generator.Generate(promptTokens, nPredict, cancel.Token).GetAsyncEnumerator(CancellationToken.None);
                try
                {
                    while (stream.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                        Console.Out.Write(stream.Current);
                }
                finally
                {
                    stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            Console.Out.WriteLine();
            Console.Out.Flush();

            var stats = generator.Stats;
            if (stats.StopReason == StopReason.ContextFull)
                Console.Error.WriteLine($"main: context full ({context.ContextLength} tokens): generation stopped (raise -c for more)");
            if (cancel.IsCancellationRequested) Console.Error.WriteLine("main: interrupted");
            foreach (var line in stats.FormatLines(loadMs, total.Elapsed.TotalMilliseconds)) Console.Error.WriteLine(line);
            return cancel.IsCancellationRequested ? 130 : 0;
        }));
        return cmd;
    }
}

/// <summary>The sampling flags, llama.cpp's names and defaults.</summary>
internal sealed class SamplingOptions
{
    private static readonly SamplerParams Defaults = new();
    public readonly Option<float> Temperature = new("--temp") { Description = "Temperature (0 = greedy)", DefaultValueFactory = _ => Defaults.Temperature };
    public readonly Option<int> TopK = new("--top-k") { Description = "Top-k (0 = off)", DefaultValueFactory = _ => Defaults.TopK };
    public readonly Option<float> TopP = new("--top-p") { Description = "Top-p (1 = off)", DefaultValueFactory = _ => Defaults.TopP };
    public readonly Option<float> MinP = new("--min-p") { Description = "Min-p (0 = off)", DefaultValueFactory = _ => Defaults.MinP };
    public readonly Option<float> RepeatPenalty = new("--repeat-penalty") { Description = "Repetition penalty (1 = off)", DefaultValueFactory = _ => Defaults.RepeatPenalty };
    public readonly Option<int> RepeatLastN = new("--repeat-last-n") { Description = "Tokens the penalties look back over (-1 = context)", DefaultValueFactory = _ => Defaults.RepeatLastN };
    public readonly Option<float> PresencePenalty = new("--presence-penalty") { Description = "Presence penalty", DefaultValueFactory = _ => 0f };
    public readonly Option<float> FrequencyPenalty = new("--frequency-penalty") { Description = "Frequency penalty", DefaultValueFactory = _ => 0f };
    public readonly Option<long> Seed = new("--seed", "-s") { Description = "RNG seed (default: random, printed)", DefaultValueFactory = _ => -1 };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Temperature, TopK, TopP, MinP, RepeatPenalty, RepeatLastN, PresencePenalty, FrequencyPenalty, Seed })
            c.Options.Add(o);
    }

    public SamplerParams Parameters(ParseResult r)
    {
        var seed = r.GetValue(Seed);
        if (seed < -1 || seed > uint.MaxValue) throw new SharpInferException($"-s {seed}: must be -1 (random) or 0..{uint.MaxValue}");
        var topP = r.GetValue(TopP);
        var minP = r.GetValue(MinP);
        if (topP is < 0 or > 1 || float.IsNaN(topP)) throw new SharpInferException($"--top-p {topP}: must be between 0 and 1");
        if (minP is < 0 or > 1 || float.IsNaN(minP)) throw new SharpInferException($"--min-p {minP}: must be between 0 and 1");
        var temp = r.GetValue(Temperature);
        if (float.IsNaN(temp)) throw new SharpInferException("--temp: not a number");
        var repeatLastN = r.GetValue(RepeatLastN);
        if (repeatLastN < -1) throw new SharpInferException($"--repeat-last-n {repeatLastN}: must be -1 or more");
        return new SamplerParams
        {
            Temperature = temp,
            TopK = r.GetValue(TopK),
            TopP = topP,
            MinP = minP,
            RepeatPenalty = r.GetValue(RepeatPenalty),
            RepeatLastN = repeatLastN,
            PresencePenalty = r.GetValue(PresencePenalty),
            FrequencyPenalty = r.GetValue(FrequencyPenalty),
            Seed = seed < 0 ? null : (uint)seed,
        };
    }
}

/// <summary>llama.cpp's warning when layers are asked for on a machine with no GPU backend; a note when stand-in GPUs are used.</summary>
internal static class GpuNotice
{
    public static void Print(ModelParams p)
    {
        if (p.NGpuLayers <= 0) return;
        // The runtime is shared per process: Model.Load reuses what this probes.
        var runtime = SharpInfer.Backends.Gpu.GpuRuntime.Shared(p.GpuBackend);
        if (runtime.Devices.Count > 0)
        {
            foreach (var d in runtime.Devices)
                Console.Error.WriteLine($"GPU {d.Info.Name}: {d.Info.Description}" +
                    (d.Info.TotalMemory > 0 ? $", {d.Info.FreeMemory >> 20} MiB free of {d.Info.TotalMemory >> 20} MiB" : "") +
                    (d.PeakBandwidth > 0 ? $", peak memory bandwidth {d.PeakBandwidth / 1e9:F0} GB/s" : ""));
            if (runtime.IsSimulated)
                Console.Error.WriteLine("warning: --gpu-backend ilgpu-cpu: GPU layers run on ILGPU's CPU accelerator (for testing, slow)");
            return;
        }
        Console.Error.WriteLine("warning: no usable GPU found, --gpu-layers option will be ignored");
        Console.Error.WriteLine("warning: one possible reason is that SharpInfer found no CUDA device and no GPU backend was selected");
        if (runtime.Problem is not null) Console.Error.WriteLine($"warning: {runtime.Problem}");
    }
}

/// <summary>llama.cpp's <c>-e</c>: escape sequences in the prompt.</summary>
internal static class Escapes
{
    public static string Process(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length) { sb.Append(s[i]); continue; }
            var c = s[++i];
            switch (c)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case 'x' when i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]):
                    sb.Append((char)Convert.ToByte(s.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                default: sb.Append('\\').Append(c); break;
            }
        }
        return sb.ToString();
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
