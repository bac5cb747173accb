using System.Runtime.InteropServices;
using System.Text;
using LLama.Native;

namespace SharpInfer.Bench;

/// <summary>Loads LLamaSharp's native llama.cpp and says which build (AVX level) it picked.</summary>
public static class NativeProbe
{
    private static readonly StringBuilder Log = new();
    private static bool _configured;

    /// <summary>Routes llama.cpp's log into a buffer; call before anything touches the native library.</summary>
    public static void Configure(bool verbose)
    {
        if (_configured) return;
        _configured = true;
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            lock (Log) Log.Append(message);
            if (verbose) Console.Error.Write(message);
        });
    }

    public static string RecentLog(int maxChars = 4000)
    {
        lock (Log)
        {
            var s = Log.ToString();
            return s.Length <= maxChars ? s : s[^maxChars..];
        }
    }

    /// <summary>The loaded library's path and AVX level, and llama.cpp's system-info line.</summary>
    public static (string Library, string AvxLevel, string SystemInfo) Describe()
    {
        NativeApi.llama_empty_call();
        var lib = NativeApi.GetLoadedNativeLibrary(NativeLibraryName.LLama);
        var avx = lib?.Metadata?.AvxLevel.ToString() ?? "(unknown)";
        var path = MappedLibrary("libllama.so") ?? "(unknown)";
        var info = Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "";
        return (path, avx, info.Trim());
    }

    // LLamaSharp does not say which file it loaded; the process's memory map does.
    private static string? MappedLibrary(string fileName)
    {
        if (!File.Exists("/proc/self/maps")) return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var slash = line.IndexOf('/');
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal)) return line[slash..];
        }
        return null;
    }
}
