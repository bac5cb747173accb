namespace SharpInfer.Numerics.Threading;

/// <summary>Counts physical cores (Linux: distinct core/package pairs in /proc/cpuinfo), capped by the CPUs this process may use.</summary>
internal static class CpuTopology
{
    public static int PhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var cores = new HashSet<(string, string)>();
                string physical = "", core = "";
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    int colon = line.IndexOf(':');
                    if (colon < 0) continue;
                    var key = line.AsSpan(0, colon).Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (key.SequenceEqual("physical id")) physical = value;
                    else if (key.SequenceEqual("core id")) { core = value; cores.Add((physical, core)); }
                }
                if (cores.Count > 0) return Math.Clamp(cores.Count, 1, logical);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Math.Max(1, logical);
    }
}
