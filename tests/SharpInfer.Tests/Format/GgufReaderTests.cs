using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Format;

public class GgufReaderTests
{
    [Fact]
    public void ReadsStories260K()
    {
        using var f = GgufFile.Open(TestPaths.Require(TestPaths.Stories260K));
        Assert.Equal(3u, f.Version);
        Assert.Equal("llama", f.Architecture);
        Assert.Equal(512, f.GetValue("tokenizer.ggml.tokens")!.AsArray().Count);
        var emb = f.FindTensor("token_embd.weight")!;
        Assert.Equal(GgmlType.F32, emb.Type);
        Assert.Equal(new long[] { 64, 512 }, emb.Dimensions);
    }
}
