namespace SharpInfer.Tests.Support;

/// <summary>
/// Locates the repository's fixtures above the test assembly (not AppContext.BaseDirectory: under a
/// standalone runner such as xunit.console, as tools/gpu-check.sh uses on machines without the SDK,
/// that is the runner's folder).
/// </summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        string start = Path.GetDirectoryName(typeof(TestPaths).Assembly.Location) ?? AppContext.BaseDirectory;
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpInfer.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException(
            $"cannot find the repository root (SharpInfer.sln) above {start}");
    });

    public static string RepoRoot => Root.Value;

    /// <summary>tests/fixtures</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>tests/fixtures/models: micro models, vocab files, bad files (see PROVENANCE.md there).</summary>
    public static string Models => Path.Combine(Fixtures, "models");

    /// <summary>tests/fixtures/reference: llama.cpp's outputs (see README.md there).</summary>
    public static string Reference => Path.Combine(Fixtures, "reference");

    /// <summary>The bundled trained model, models/stories260K.gguf.</summary>
    public static string Stories260K => Path.Combine(RepoRoot, "models", "stories260K.gguf");

    public static string Micro(string name) => Path.Combine(Models, "micro", name);

    /// <summary>A fixture file that must exist: a missing one fails the test loudly instead of skipping it.</summary>
    public static string Require(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"test fixture missing: {path}");
}
