using SharpInfer.Format.Gguf;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Format;

public class GgufValidationTests
{
    private static GgufFormatException Refuse(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpinfer-bad-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
            Assert.Contains(path, e.Message);
            Assert.Contains($"at byte {e.Offset}", e.Message);
            return e;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static GgufFormatException RefuseFixture(string name)
    {
        var path = TestPaths.Require(Path.Combine(TestPaths.Models, "bad", name));
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void RealBadFiles()
    {
        Assert.Contains("bad magic", RefuseFixture("example.gguf").Problem);
        Assert.Contains("GGUF v1 is not supported", RefuseFixture("ggml-vocab-llama.v1.gguf").Problem);
        Assert.Contains("unknown metadata value type 13", RefuseFixture("test_writer.gguf").Problem);
    }

    [Fact]
    public void EmptyAndTinyFiles()
    {
        Assert.Contains("empty", Refuse([]).Problem);
        Assert.Contains("too short", Refuse([0x47, 0x47]).Problem);
    }

    [Fact]
    public void BigEndianAndUnknownVersions()
    {
        Assert.Contains("big-endian", Refuse(new RawGguf().Header(version: 0x03000000).ToArray()).Problem);
        var e = Refuse(new RawGguf().Header(version: 4).ToArray());
        Assert.Contains("unsupported GGUF version 4", e.Problem);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void TruncationAtEveryByteOfAValidHeaderIsRefused()
    {
        var full = new RawGguf().Header(tensors: 1, kvs: 1).KvStr("general.architecture", "llama")
            .Tensor("w", 0, 0, 4).PadTo(32).Bytes(16).ToArray();
        using (GgufWriterTests.OpenBytes(full, out var ok)) File.Delete(ok);
        for (var n = 0; n < full.Length; n++)
        {
            var e = Refuse(full[..n]);
            Assert.InRange(e.Offset, 0, n);
        }
    }

    [Fact]
    public void AbsurdCountsAndLengths()
    {
        Assert.Contains("count of metadata entries", Refuse(new RawGguf().Header(kvs: ulong.MaxValue).ToArray()).Problem);
        Assert.Contains("count of tensors", Refuse(new RawGguf().Header(tensors: 1_000_000_000).ToArray()).Problem);
        Assert.Contains("string length", Refuse(new RawGguf().Header(kvs: 1).U64(1UL << 60).Bytes(16).ToArray()).Problem);
        var arr = new RawGguf().Header(kvs: 1).Str("a").U32(9).U32(4).U64(1UL << 40).ToArray();
        Assert.Contains("count of items in 'a'", Refuse(arr).Problem);
        var nested = new RawGguf().Header(kvs: 1).Str("n").U32(9);
        for (var i = 0; i < 20; i++) nested.U32(9).U64(1);
        Assert.Contains("nests arrays deeper", Refuse(nested.ToArray()).Problem);
    }

    [Fact]
    public void MetadataProblems()
    {
        Assert.Contains("duplicate metadata key 'k'",
            Refuse(new RawGguf().Header(kvs: 2).KvU32("k", 1).KvU32("k", 2).ToArray()).Problem);
        Assert.Contains("unknown metadata value type 99", Refuse(new RawGguf().Header(kvs: 1).Str("k").U32(99).U32(0).ToArray()).Problem);
        Assert.Contains("bool with value 7", Refuse(new RawGguf().Header(kvs: 1).Str("k").U32(7).U8(7).ToArray()).Problem);
        Assert.Contains("not a power of two",
            Refuse(new RawGguf().Header(kvs: 1).KvU32("general.alignment", 48).ToArray()).Problem);
        Assert.Contains("empty key", Refuse(new RawGguf().Header(kvs: 1).KvU32("", 1).ToArray()).Problem);
    }

    private static byte[] OneTensor(uint type, ulong offset, int dataBytes, params ulong[] dims) =>
        new RawGguf().Header(tensors: 1).Tensor("blk.0.w", type, offset, dims).PadTo(32).Bytes(dataBytes).ToArray();

    [Fact]
    public void TensorInfoProblems()
    {
        Assert.Contains("5 dimensions", Refuse(OneTensor(0, 0, 4, 1, 1, 1, 1, 1)).Problem);
        Assert.Contains("dimension 1 of size 0", Refuse(OneTensor(0, 0, 4, 4, 0)).Problem);
        Assert.Contains("negative dimension", Refuse(OneTensor(0, 0, 4, 4, ulong.MaxValue)).Problem);
        Assert.Contains("overflows", Refuse(OneTensor(0, 0, 4, 1UL << 40, 1UL << 40)).Problem);
        Assert.Contains("unknown ggml type id 4", Refuse(OneTensor(4, 0, 64, 32)).Problem);
        Assert.Contains("not a multiple of the block size 32", Refuse(OneTensor(2, 0, 64, 33)).Problem);
        Assert.Contains("not a multiple of the alignment", Refuse(OneTensor(0, 8, 64, 4)).Problem);
        Assert.Contains("runs past the end", Refuse(OneTensor(0, 0, 8, 4)).Problem);
        Assert.Contains("no dimensions", Refuse(OneTensor(0, 0, 8)).Problem);
    }

    [Fact]
    public void DuplicateAndOverlappingTensors()
    {
        var dup = new RawGguf().Header(tensors: 2).Tensor("w", 0, 0, 8).Tensor("w", 0, 32, 8).PadTo(32).Bytes(64).ToArray();
        Assert.Contains("duplicate tensor name 'w'", Refuse(dup).Problem);
        var overlap = new RawGguf().Header(tensors: 2).Tensor("a", 0, 0, 16).Tensor("b", 0, 32, 8).PadTo(32).Bytes(96).ToArray();
        Assert.Contains("overlaps tensor 'a'", Refuse(overlap).Problem);
    }

    [Fact]
    public void NoMmapReadsTheSameBytes()
    {
        using var mapped = GgufFile.Open(TestPaths.Stories260K);
        using var read = GgufFile.Open(TestPaths.Stories260K, new GgufLoadOptions { UseMmap = false });
        foreach (var t in mapped.Tensors)
            Assert.True(mapped.GetTensorData(t).SequenceEqual(read.GetTensorData(read.FindTensor(t.Name)!)));
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        var e = Assert.ThrowsAny<SharpInferException>(() => GgufFile.Open("/nonexistent/model.gguf"));
        Assert.Contains("/nonexistent/model.gguf", e.Message);
    }
}
