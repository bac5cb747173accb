using System.Globalization;
using System.Text;

namespace SharpInfer.Placement;

/// <summary>Human-readable forms of a plan: llama.cpp's load_tensors lines and a placement table.</summary>
public static class PlanFormatter
{
    /// <summary>
    /// llama.cpp's summary: the offload lines, then one <c>load_tensors: %12s model buffer size = %8.2f MiB</c>
    /// line per buffer. A host buffer in the file's layout served from a memory-mapped file is named
    /// <c>CPU_Mapped</c>, as llama.cpp names it.
    /// </summary>
    public static IReadOnlyList<string> LoadTensorsLines(Plan plan)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        if (plan.Devices.Count > 0)
        {
            int repeating = Math.Min(plan.OffloadedLayers, plan.NLayer);
            lines.Add(string.Create(inv, $"load_tensors: offloading {repeating} repeating layers to GPU"));
            if (plan.OffloadedLayers > plan.NLayer) lines.Add("load_tensors: offloading output layer to GPU");
            lines.Add(string.Create(inv, $"load_tensors: offloaded {plan.OffloadedLayers}/{plan.NLayer + 1} layers to GPU"));
        }
        foreach (var b in plan.Buffers)
            lines.Add(BufferLine(b.Mapped ? "CPU_Mapped" : b.Name, b.Bytes));
        return lines;
    }

    /// <summary>What a <c>plan</c> command prints: the plan's messages, the load_tensors lines, then the table.</summary>
    public static string Report(Plan plan)
    {
        var sb = new StringBuilder();
        foreach (var m in plan.Messages) sb.Append(m).Append('\n');
        foreach (var l in LoadTensorsLines(plan)) sb.Append(l).Append('\n');
        sb.Append('\n').Append(Table(plan));
        return sb.ToString();
    }

    public static string BufferLine(string name, long bytes) =>
        string.Format(CultureInfo.InvariantCulture, "load_tensors: {0,12} model buffer size = {1,8:F2} MiB", name, bytes / 1024.0 / 1024.0);

    /// <summary>One row per tensor: name, type, shape, layer, buffer type, bytes (row splits listed per GPU).</summary>
    public static string Table(Plan plan)
    {
        var rows = new List<string[]> { new[] { "tensor", "type", "shape", "layer", "buffer type", "MiB" } };
        foreach (var e in plan.Entries)
        {
            string buffer = e.BufferType.Name;
            if (e.Rows is not null)
                buffer += " (" + string.Join(", ", e.Rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Device} rows {r.FirstRow}..{r.FirstRow + r.RowCount}"))) + ")";
            rows.Add(new[]
            {
                e.IsDuplicate ? e.Name + " (copy for output)" : e.Name,
                e.Type.ToString(),
                e.ShapeString,
                PlanSerializer.LayerName(e.Role),
                buffer,
                (e.Bytes / 1024.0 / 1024.0).ToString("F2", CultureInfo.InvariantCulture),
            });
        }
        var widths = new int[rows[0].Length];
        foreach (var r in rows)
            for (int i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (int i = 0; i < r.Length; i++)
            {
                bool last = i == r.Length - 1;
                sb.Append(last ? r[i].PadLeft(widths[i]) : r[i].PadRight(widths[i]));
                if (!last) sb.Append("  ");
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
