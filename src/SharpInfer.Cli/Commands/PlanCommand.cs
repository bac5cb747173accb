using System.CommandLine;
using SharpInfer.Backends;
using SharpInfer.Format.Gguf;
using SharpInfer.Placement;

namespace SharpInfer.Cli.Commands;

/// <summary>
/// <c>sharpinfer plan</c>: where every weight of a model would live for the given run flags, and
/// with <c>--diff "FLAGS"</c> exactly which tensors those extra flags move — so anyone can check the
/// <c>--amx</c> isolation rule on their own model.
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var m = new ModelOptions();
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON" };
        var diff = new Option<string?>("--diff") { Description = "Extra flags (e.g. \"--amx\"): show what they change in the plan" };
        var gpus = new Option<string?>("--simulate-gpus") { Description = "Plan for GPUs described as data, e.g. 24GiB,8GiB or 24GiB:20GiB (total:free)" };
        var cmd = new Command("plan", "Show where each tensor would be placed (buffer types and sizes)") { json, diff, gpus };
        m.AddTo(cmd);
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(m.Verbose), () =>
        {
            using var file = GgufFile.Open(m.ModelPath(r));
            var input = PlanInput.FromGguf(file);
            var simulated = r.GetValue(gpus);
            BackendSet Backends() => simulated is null ? BackendSet.Default() : BackendSet.Default().WithGpus(SimulatedGpus.Parse(simulated));

            var plan = Planner.Create(input, m.ModelParams(r), Backends());
            var extra = r.GetValue(diff);
            if (extra is null)
            {
                Console.Write(r.GetValue(json) ? PlanSerializer.ToJson(plan) + "\n" : PlanFormatter.Report(plan));
                return 0;
            }

            var changed = cmd.Parse(WithoutDiff(r, extra));
            if (changed.Errors.Count > 0) throw new SharpInferException($"--diff \"{extra}\": {changed.Errors[0].Message}");
            var other = Planner.Create(input, m.ModelParams(changed), Backends());
            foreach (var msg in other.Messages) Console.Error.WriteLine(msg);
            return PrintDiff(plan, other, extra);
        }));
        return cmd;
    }

    /// <summary>The command's own tokens without --diff and its value, followed by the extra flags.</summary>
    private static string[] WithoutDiff(ParseResult r, string extra)
    {
        var tokens = new List<string>();
        var skipNext = false;
        foreach (var t in r.Tokens)
        {
            if (skipNext) { skipNext = false; continue; }
            if (t.Value == "--diff") { skipNext = true; continue; }
            if (t.Value.StartsWith("--diff=", StringComparison.Ordinal)) continue;
            if (t.Value == "plan" && tokens.Count == 0) continue;
            tokens.Add(t.Value);
        }
        tokens.AddRange(extra.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return tokens.ToArray();
    }

    private static int PrintDiff(Plan a, Plan b, string extra)
    {
        var textA = PlanSerializer.ToText(a);
        var textB = PlanSerializer.ToText(b);
        if (textA == textB)
        {
            Console.WriteLine($"plan diff for \"{extra}\": identical (byte for byte, {a.Entries.Count} tensors)");
            return 0;
        }
        Console.WriteLine($"plan diff for \"{extra}\":");
        var moved = 0;
        foreach (var ea in a.Entries)
        {
            var eb = b.Find(ea.Name);
            if (eb is null) { Console.WriteLine($"  - {ea.Name} ({ea.BufferType.Name}) only without \"{extra}\""); moved++; continue; }
            if (eb.BufferType.Name == ea.BufferType.Name && eb.Bytes == ea.Bytes) continue;
            Console.WriteLine($"  {ea.Name,-32} {ea.Type,-6} {ea.BufferType.Name,12} -> {eb.BufferType.Name}");
            moved++;
        }
        foreach (var eb in b.Entries)
            if (a.Find(eb.Name) is null) { Console.WriteLine($"  + {eb.Name} ({eb.BufferType.Name}) only with \"{extra}\""); moved++; }
        Console.WriteLine($"{moved} of {a.Entries.Count} tensors move. Buffers without -> with:");
        foreach (var l in PlanFormatter.LoadTensorsLines(a)) Console.WriteLine("  - " + l);
        foreach (var l in PlanFormatter.LoadTensorsLines(b)) Console.WriteLine("  + " + l);
        return 0;
    }
}
