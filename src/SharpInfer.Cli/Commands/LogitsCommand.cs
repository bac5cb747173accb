using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SharpInfer.Inference.Sampling;
using SharpInfer.Models;

namespace SharpInfer.Cli.Commands;

/// <summary>
/// <c>sharpinfer logits</c>: evaluates the prompt as one batch and writes every position's logits
/// in the layout of llama.cpp's reference files (float32 LE [n_tokens][n_vocab] plus FILE.json),
/// so anyone can diff SharpInfer against llama.cpp on any model.
/// </summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var m = new ModelOptions();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt text (special tokens parsed, BOS added where the model wants it)" };
        var file = new Option<string?>("--file", "-f") { Description = "Read the prompt from a file" };
        var output = new Option<string>("--out", "-o") { Description = "Logits file to write (FILE.json beside it)", Required = true };
        var greedy = new Option<int>("--greedy") { Description = "Also generate N tokens greedily and record them in the JSON", DefaultValueFactory = _ => 0 };
        var cmd = new Command("logits", "Write the logits of every prompt position, as llama.cpp's reference files") { prompt, file, output, greedy };
        m.AddTo(cmd);
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(m.Verbose), () =>
        {
            var text = r.GetValue(prompt);
            var path = r.GetValue(file);
            if (text is not null && path is not null) throw new SharpInferException("give either -p or -f, not both");
            if (path is not null) text = File.Exists(path) ? File.ReadAllText(path) : throw new SharpInferException($"-f {path}: no such file");
            if (text is null) throw new SharpInferException("give a prompt with -p TEXT or -f FILE");
            var nGreedy = r.GetValue(greedy);
            if (nGreedy < 0) throw new SharpInferException($"--greedy {nGreedy}: must not be negative");
            var outPath = r.GetValue(output)!;

            var modelParams = m.ModelParams(r);
            GpuNotice.Print(modelParams);
            var contextParams = m.ContextParams(r);
            using var model = Model.Load(m.ModelPath(r), modelParams);
            var tokens = model.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true);
            if (tokens.Length == 0) throw new SharpInferException("the prompt has no tokens");
            // One batch for the whole prompt, as the reference files were made.
            contextParams = contextParams with
            {
                BatchSize = Math.Max(contextParams.BatchSize, tokens.Length),
                MicroBatchSize = Math.Max(contextParams.MicroBatchSize, tokens.Length),
            };
            using var context = model.CreateContext(contextParams);
            if (tokens.Length + nGreedy > context.ContextLength)
                throw new SharpInferException($"{tokens.Length} prompt tokens + {nGreedy} greedy tokens exceed the context ({context.ContextLength}; raise -c)");
            context.Decode(tokens, allLogits: true);

            var vocab = context.VocabSize;
            using (var stream = new FileStream(outPath, FileMode.Create, FileAccess.Write))
            {
                for (var i = 0; i < tokens.Length; i++) stream.Write(MemoryMarshal.AsBytes(context.GetLogits(i)));
            }

            var greedyTokens = new List<int>();
            var gaps = new List<float>();
            var textBytes = new List<byte>();
            for (var step = 0; step < nGreedy; step++)
            {
                var logits = context.GetLogits(-1);
                var best = Sampler.ArgMax(logits);
                var second = float.NegativeInfinity;
                for (var v = 0; v < logits.Length; v++)
                    if (v != best && logits[v] > second) second = logits[v];
                greedyTokens.Add(best);
                gaps.Add(logits[best] - second);
                if (model.Tokenizer.IsEndOfGeneration(best)) break;
                textBytes.AddRange(model.Tokenizer.TokenToPiece(best));
                if (step + 1 < nGreedy) context.Decode([best], allLogits: false);
            }

            WriteJson(outPath + ".json", model, text, tokens, contextParams.TypeK, vocab, outPath, greedyTokens, gaps, textBytes, nGreedy > 0);
            Console.Error.WriteLine($"logits: {tokens.Length} positions x {vocab} -> {outPath} (+ .json)");
            return 0;
        }));
        return cmd;
    }

    private static void WriteJson(string path, Model model, string prompt, int[] tokens, Numerics.GgmlType kvType, int vocab,
        string logitsPath, List<int> greedy, List<float> gaps, List<byte> text, bool withGreedy)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("model", Path.GetFileName(model.File.Path));
        w.WriteString("prompt", prompt);
        w.WriteBoolean("add_special", true);
        w.WriteString("kv_cache_type", kvType.ToString().ToLowerInvariant());
        w.WriteBoolean("flash_attn", false);
        w.WriteNumber("n_vocab", vocab);
        w.WriteStartArray("prompt_tokens");
        foreach (var t in tokens) w.WriteNumberValue(t);
        w.WriteEndArray();
        w.WriteString("logits_file", Path.GetFileName(logitsPath));
        w.WriteString("logits_layout", "float32 little-endian, [n_prompt_tokens][n_vocab], row i = logits after token i");
        if (withGreedy)
        {
            w.WriteStartArray("greedy_tokens");
            foreach (var t in greedy) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteStartArray("greedy_top2_gap");
            foreach (var g in gaps) w.WriteNumberValue(MathF.Round(g, 5));
            w.WriteEndArray();
            w.WriteString("greedy_text", new UTF8Encoding(false, false).GetString(text.ToArray()));
        }
        w.WriteEndObject();
    }
}
