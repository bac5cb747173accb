namespace SharpInfer.Format.Gguf;

/// <summary>A GGUF file that cannot be read: names the file, the byte offset and what is wrong.</summary>
public sealed class GgufFormatException : SharpInferException
{
    public GgufFormatException(string path, long offset, string problem)
        : base($"{path}: invalid GGUF at byte {offset}: {problem}")
    {
        FilePath = path;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file that was being read.</summary>
    public string FilePath { get; }

    /// <summary>The byte offset where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the file and offset.</summary>
    public string Problem { get; }
}
