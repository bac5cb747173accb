using System.Globalization;

namespace SharpInfer.Placement;

/// <summary>Byte counts as llama.cpp prints them.</summary>
public static class Units
{
    public static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB";
}
