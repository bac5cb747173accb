namespace SharpInfer.Format.Gguf;

internal static class GgufConstants
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const uint DefaultAlignment = 32;
    public const int MaxDimensions = 4;
    public const string AlignmentKey = "general.alignment";
}
