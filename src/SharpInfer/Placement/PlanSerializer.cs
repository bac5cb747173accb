using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpInfer.Models;

namespace SharpInfer.Placement;

/// <summary>
/// Deterministic text and JSON forms of a <see cref="Plan"/>: the same plan gives the same bytes, so
/// plans are compared by their serialisation. <see cref="Plan.Messages"/> are not part of it.
/// </summary>
public static class PlanSerializer
{
    public static string ToText(Plan plan)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("plan v1\n");
        sb.Append(inv, $"n_layer {plan.NLayer}\n");
        sb.Append(inv, $"n_gpu_layers {plan.NGpuLayers}\n");
        sb.Append(inv, $"gpu_layer_start {plan.GpuLayerStart}\n");
        sb.Append(inv, $"offloaded_layers {plan.OffloadedLayers}\n");
        sb.Append(inv, $"split_mode {SplitName(plan.SplitMode)}\n");
        sb.Append(inv, $"main_gpu {plan.MainGpu}\n");
        sb.Append(inv, $"mmap {(plan.UseMmap ? "true" : "false")}\n");
        sb.Append(inv, $"devices {plan.Devices.Count}\n");
        foreach (var d in plan.Devices)
            sb.Append(inv, $"  {d.Name} total={d.TotalMemory} free={d.FreeMemory} planned={d.PlannedBytes}\n");
        sb.Append(inv, $"buffers {plan.Buffers.Count}\n");
        foreach (var b in plan.Buffers)
            sb.Append(inv, $"  {b.Name} device={b.BufferType.Device.Name} host={Bool(b.BufferType.IsHost)} file_layout={Bool(b.BufferType.KeepsFileLayout)} mapped={Bool(b.Mapped)} tensors={b.TensorCount} bytes={b.Bytes}\n");
        sb.Append(inv, $"tensors {plan.Entries.Count}\n");
        foreach (var e in plan.Entries)
        {
            sb.Append(inv, $"  {e.Name} {e.Type} {e.ShapeString.Replace(" ", "")} {LayerName(e.Role)} {e.Role.Op} {e.BufferType.Name} {e.Bytes}");
            if (e.IsDuplicate) sb.Append(" duplicate");
            if (e.Rows is not null)
            {
                sb.Append(" rows=");
                sb.Append(string.Join(",", e.Rows.Select(r => string.Create(inv, $"{r.Device}:{r.FirstRow}+{r.RowCount}"))));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static string ToJson(Plan plan)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("n_layer", plan.NLayer);
            w.WriteNumber("n_gpu_layers", plan.NGpuLayers);
            w.WriteNumber("gpu_layer_start", plan.GpuLayerStart);
            w.WriteNumber("offloaded_layers", plan.OffloadedLayers);
            w.WriteString("split_mode", SplitName(plan.SplitMode));
            w.WriteNumber("main_gpu", plan.MainGpu);
            w.WriteBoolean("mmap", plan.UseMmap);
            w.WriteStartArray("devices");
            foreach (var d in plan.Devices)
            {
                w.WriteStartObject();
                w.WriteString("name", d.Name);
                w.WriteNumber("total", d.TotalMemory);
                w.WriteNumber("free", d.FreeMemory);
                w.WriteNumber("planned", d.PlannedBytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("buffers");
            foreach (var b in plan.Buffers)
            {
                w.WriteStartObject();
                w.WriteString("buffer_type", b.Name);
                w.WriteString("device", b.BufferType.Device.Name);
                w.WriteBoolean("host", b.BufferType.IsHost);
                w.WriteBoolean("file_layout", b.BufferType.KeepsFileLayout);
                w.WriteBoolean("mapped", b.Mapped);
                w.WriteNumber("tensors", b.TensorCount);
                w.WriteNumber("bytes", b.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("tensors");
            foreach (var e in plan.Entries)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("type", e.Type.ToString());
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("layer", LayerName(e.Role));
                w.WriteString("op", e.Role.Op.ToString());
                w.WriteString("buffer_type", e.BufferType.Name);
                w.WriteNumber("bytes", e.Bytes);
                if (e.IsDuplicate) w.WriteBoolean("duplicate", true);
                if (e.Rows is not null)
                {
                    w.WriteStartArray("rows");
                    foreach (var r in e.Rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("device", r.Device);
                        w.WriteNumber("first", r.FirstRow);
                        w.WriteNumber("count", r.RowCount);
                        w.WriteNumber("bytes", r.Bytes);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    public static string LayerName(TensorRole role) => role.Kind switch
    {
        LayerKind.Input => "input",
        LayerKind.Output => "output",
        _ => role.Layer.ToString(CultureInfo.InvariantCulture),
    };

    public static string SplitName(SplitMode mode) => mode switch
    {
        SplitMode.None => "none",
        SplitMode.Layer => "layer",
        SplitMode.Row => "row",
        _ => mode.ToString(),
    };

    private static string Bool(bool b) => b ? "true" : "false";
}
