namespace SharpInfer.Platform;

/// <summary>Facts about the host CPU that defaults depend on.</summary>
public static class CpuInfo
{
    private static readonly Lazy<int> Physical = new(CountPhysicalCores);

    /// <summary>Physical cores (llama.cpp's default thread count); logical processors where unknown.</summary>
    public static int PhysicalCores => Physical.Value;

    private static int CountPhysicalCores()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var cores = new HashSet<(string, string)>();
                string physicalId = "0";
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var colon = line.IndexOf(':');
                    if (colon < 0) continue;
                    var key = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (key == "physical id") physicalId = value;
                    else if (key == "core id") cores.Add((physicalId, value));
                }
                if (cores.Count > 0) return Math.Clamp(cores.Count, 1, Environment.ProcessorCount);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return Math.Max(1, Environment.ProcessorCount);
    }
}
