namespace SharpInfer.Format.Gguf;

/// <summary>How a GGUF file's bytes are brought into memory.</summary>
public sealed record GgufLoadOptions
{
    /// <summary>Map the file (zero-copy, the default); false reads it into aligned native memory (<c>--no-mmap</c>).</summary>
    public bool UseMmap { get; init; } = true;

    /// <summary>Lock the pages in RAM (<c>--mlock</c>); a refusal by the OS becomes a warning, not an error.</summary>
    public bool UseMlock { get; init; }

    /// <summary>Called with the fraction of the file read so far when <see cref="UseMmap"/> is off.</summary>
    public Action<float>? ReadProgress { get; init; }

    public static GgufLoadOptions Default { get; } = new();
}
