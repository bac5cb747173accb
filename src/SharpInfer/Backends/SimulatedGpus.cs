using System.Globalization;

namespace SharpInfer.Backends;

/// <summary>
/// GPUs described on a command line, so plans for GPU machines can be shown anywhere:
/// <c>"24GiB,8GiB"</c> (free = total) or <c>"24GiB:20GiB,8GiB"</c> (total:free); units B, KiB, MiB, GiB.
/// </summary>
public static class SimulatedGpus
{
    public static BackendDevice[] Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return [];
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        var devices = new BackendDevice[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var sizes = parts[i].Split(':', StringSplitOptions.TrimEntries);
            if (sizes.Length is < 1 or > 2) throw Bad(parts[i]);
            long total = Bytes(sizes[0]);
            long free = sizes.Length == 2 ? Bytes(sizes[1]) : total;
            if (free > total) throw new SharpInferException($"simulated GPU {i}: free {sizes[1]} exceeds total {sizes[0]}");
            devices[i] = BackendDevice.SimulatedGpu(i, total, free);
        }
        return devices;
    }

    private static long Bytes(string text)
    {
        (string Suffix, long Scale)[] units = [("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1)];
        foreach (var (suffix, scale) in units)
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0)
                return checked((long)(v * scale));
        throw Bad(text);
    }

    private static SharpInferException Bad(string text) =>
        new($"cannot read GPU size '{text}' (expected e.g. 24GiB or 24GiB:20GiB)");
}
