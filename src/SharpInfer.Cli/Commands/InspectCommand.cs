using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;

namespace SharpInfer.Cli.Commands;

/// <summary><c>sharpinfer inspect [MODEL]</c>: header, metadata, tensor table, totals.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("MODEL") { Arity = ArgumentArity.ZeroOrOne, Description = "GGUF file (default: the bundled stories260K)" };
        var modelOption = new Option<string?>("--model", "-m") { Description = "GGUF file (same as MODEL)" };
        var json = new Option<bool>("--json") { Description = "Print JSON for machines" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print stack traces on errors" };
        var checkTensors = new Option<bool>("--check-tensors") { Description = "Scan tensor data for NaN/Inf (llama.cpp's validate_quants)" };
        var cmd = new Command("inspect", "Show a GGUF file's header, metadata and tensors") { model, modelOption, json, verbose, checkTensors };
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(verbose), () =>
        {
            var path = BundledModel.Resolve(r.GetValue(model) ?? r.GetValue(modelOption));
            using var file = GgufFile.Open(path);
            foreach (var w in file.Warnings) Console.Error.WriteLine(w);
            IReadOnlyList<TensorValueProblem> problems = r.GetValue(checkTensors) ? TensorValidator.Scan(file) : [];
            if (r.GetValue(json)) WriteJson(file, problems);
            else WriteText(file, problems);
            return problems.Count == 0 ? 0 : 1;
        }));
        return cmd;
    }

    private static void WriteText(GgufFile f, IReadOnlyList<TensorValueProblem> problems)
    {
        Console.WriteLine($"file:       {f.Path}");
        Console.WriteLine($"size:       {f.FileSize} bytes ({Mib(f.FileSize)})");
        Console.WriteLine($"GGUF:       version {f.Version}, alignment {f.Alignment}, data at byte {f.DataOffset}");
        Console.WriteLine($"metadata:   {f.Metadata.Count} keys");
        Console.WriteLine($"tensors:    {f.Tensors.Count}");
        Console.WriteLine($"parameters: {f.ParameterCount} ({FormatCount(f.ParameterCount)})");
        Console.WriteLine();
        Console.WriteLine("metadata:");
        var keyWidth = 0;
        foreach (var (k, _) in f.Metadata) keyWidth = Math.Max(keyWidth, k.Length);
        foreach (var (k, v) in f.Metadata)
            Console.WriteLine($"  {k.PadRight(keyWidth)}  {TypeLabel(v),-13}  {v.ToDisplayString(maxArrayItems: 6)}");

        if (f.Tensors.Count > 0)
        {
            Console.WriteLine();
            var nameWidth = 4;
            foreach (var t in f.Tensors) nameWidth = Math.Max(nameWidth, t.Name.Length);
            Console.WriteLine($"  {"name".PadRight(nameWidth)}  {"type",-8}  {"shape",-24}  {"bytes",12}");
            foreach (var t in f.Tensors)
                Console.WriteLine($"  {t.Name.PadRight(nameWidth)}  {t.TypeInfo.Name,-8}  {t.ShapeString,-24}  {t.ByteSize,12}");
            Console.WriteLine();
            Console.WriteLine("totals by type:");
            foreach (var (type, count, elements, bytes) in TotalsByType(f))
                Console.WriteLine($"  {type,-8}  {count,5} tensors  {elements,14} elements  {bytes,14} bytes ({Mib(bytes)})");
        }

        foreach (var p in problems) Console.WriteLine($"check-tensors: {p}");
        if (problems.Count > 0) Console.Error.WriteLine($"error: {f.Path}: {problems.Count} tensor value problem(s) found");
    }

    private static void WriteJson(GgufFile f, IReadOnlyList<TensorValueProblem> problems)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("file", f.Path);
        w.WriteNumber("size", f.FileSize);
        w.WriteNumber("version", f.Version);
        w.WriteNumber("alignment", f.Alignment);
        w.WriteNumber("data_offset", f.DataOffset);
        w.WriteNumber("parameters", f.ParameterCount);
        w.WriteStartObject("metadata");
        foreach (var (k, v) in f.Metadata)
        {
            w.WritePropertyName(k);
            WriteJsonValue(w, v.Value);
        }
        w.WriteEndObject();
        w.WriteStartArray("tensors");
        foreach (var t in f.Tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("type", t.TypeInfo.Name);
            w.WriteStartArray("shape");
            foreach (var d in t.Dimensions) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteNumber("offset", t.Offset);
            w.WriteNumber("bytes", t.ByteSize);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("totals");
        foreach (var (type, count, elements, bytes) in TotalsByType(f))
        {
            w.WriteStartObject(type);
            w.WriteNumber("tensors", count);
            w.WriteNumber("elements", elements);
            w.WriteNumber("bytes", bytes);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (problems.Count > 0)
        {
            w.WriteStartArray("check_tensors");
            foreach (var p in problems) w.WriteStringValue(p.ToString());
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.Flush();
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteJsonValue(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case float x when float.IsFinite(x): w.WriteNumberValue(x); break;
            case double x when double.IsFinite(x): w.WriteNumberValue(x); break;
            case float or double: w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case ulong u: w.WriteNumberValue(u); break;
            case GgufArray a:
                w.WriteStartArray();
                foreach (var item in a.Items) WriteJsonValue(w, item!);
                w.WriteEndArray();
                break;
            default: w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
        }
    }

    private static List<(string Type, int Count, long Elements, long Bytes)> TotalsByType(GgufFile f)
    {
        var totals = new SortedDictionary<GgmlType, (int, long, long)>();
        foreach (var t in f.Tensors)
        {
            totals.TryGetValue(t.Type, out var s);
            totals[t.Type] = (s.Item1 + 1, s.Item2 + t.ElementCount, s.Item3 + t.ByteSize);
        }
        var list = new List<(string, int, long, long)>();
        foreach (var (type, (count, elements, bytes)) in totals) list.Add((GgmlTypeInfo.Get(type).Name, count, elements, bytes));
        return list;
    }

    private static string TypeLabel(GgufValue v) =>
        v.Value is GgufArray a ? $"{a.ElementType}[{a.Count}]" : v.Type.ToString();

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F2", CultureInfo.InvariantCulture) + " MiB";

    private static string FormatCount(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " B",
        >= 1_000_000 => (n / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (n / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}
