namespace SharpInfer.Cli;

/// <summary>The model shipped with the command line (stories260K, MIT), used when no <c>-m</c> is given.</summary>
internal static class BundledModel
{
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "models", "stories260K.gguf");

    public static string Resolve(string? model) => string.IsNullOrEmpty(model) ? Path : model;
}
