using SharpInfer.Format.Gguf;
using SharpInfer.Numerics;
using SharpInfer.Tests.Support;

namespace SharpInfer.Tests.Format;

public class GgufWriterTests
{
    public static TheoryData<string> LlamaCppFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.Models, "micro"), "*.gguf").Order()) data.Add(f);
        foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.Models, "vocab"), "*.gguf").Order()) data.Add(f);
        data.Add(Path.Combine(TestPaths.Models, "llama-2-tiny-random.gguf"));
        data.Add(TestPaths.Stories260K);
        return data;
    }

    /// <summary>
    /// llama.cpp wrote these files; rewriting them must give the same keys, values, tensors and data.
    /// ggml's writer lays them out exactly as ours does, so the bytes themselves must match.
    /// </summary>
    [Theory]
    [MemberData(nameof(LlamaCppFiles))]
    public void RewritingALlamaCppFileReproducesItsBytes(string path)
    {
        var original = File.ReadAllBytes(TestPaths.Require(path));
        var rewritten = Rewrite(path);
        using (var a = GgufFile.Open(path))
        using (var b = OpenBytes(rewritten, out var tmp))
        {
            Assert.Equal(a.Metadata.Select(kv => kv.Key), b.Metadata.Select(kv => kv.Key));
            foreach (var (k, v) in a.Metadata) Assert.Equal(v, b.GetValue(k));
            Assert.Equal(a.Tensors.Count, b.Tensors.Count);
            for (var i = 0; i < a.Tensors.Count; i++)
            {
                Assert.Equal(a.Tensors[i], b.Tensors[i], TensorInfoComparer.Instance);
                Assert.True(a.GetTensorData(a.Tensors[i]).SequenceEqual(b.GetTensorData(b.Tensors[i])), a.Tensors[i].Name);
            }
            File.Delete(tmp);
        }
        Assert.Equal(original.Length, rewritten.Length);
        Assert.True(original.AsSpan().SequenceEqual(rewritten), $"{Path.GetFileName(path)}: rewritten bytes differ");
    }

    [Fact]
    public void WriteReadWriteIsStable()
    {
        var data = new byte[GgmlTypeInfo.Get(GgmlType.Q8_0).RowBytes(64) * 3];
        new Random(7).NextBytes(data);
        var w = new GgufWriter()
            .Set("general.architecture", GgufValue.Of("test"))
            .Set("u8", new GgufValue(GgufValueType.UInt8, (byte)200))
            .Set("i8", new GgufValue(GgufValueType.Int8, (sbyte)-5))
            .Set("u16", new GgufValue(GgufValueType.UInt16, (ushort)65000))
            .Set("i16", new GgufValue(GgufValueType.Int16, (short)-30000))
            .Set("u32", GgufValue.Of(4000000000u))
            .Set("i32", GgufValue.Of(-7))
            .Set("f32", GgufValue.Of(1.5f))
            .Set("bool", GgufValue.Of(true))
            .Set("str", GgufValue.Of("héllo\n"))
            .Set("u64", GgufValue.Of(ulong.MaxValue))
            .Set("i64", GgufValue.Of(long.MinValue))
            .Set("f64", GgufValue.Of(Math.PI))
            .Set("arr.str", GgufValue.Of(GgufArray.Of(["a", "", "ccc"])))
            .Set("arr.nested", GgufValue.Of(new GgufArray(GgufValueType.Array,
                new[] { GgufArray.Of([1, 2]), GgufArray.Of([1f]) })))
            .Set("arr.bool", GgufValue.Of(new GgufArray(GgufValueType.Bool, new[] { true, false })))
            .AddTensor("a", GgmlType.Q8_0, [64, 3], data)
            .AddTensor("b", GgmlType.F32, [5], new byte[20]);
        var first = Serialize(w);
        using var f = OpenBytes(first, out var tmp);
        Assert.Equal(-7, f.GetValue("i32")!.AsInt64());
        Assert.Equal("héllo\n", f.GetString("str"));
        Assert.Equal(new[] { "a", "", "ccc" }, f.GetValue("arr.str")!.AsArray().AsStrings());
        Assert.Equal(2, f.GetValue("arr.nested")!.AsArray().Count);
        Assert.True(f.GetTensorData(f.FindTensor("a")!).SequenceEqual(data));
        Assert.Equal(0ul, f.FindTensor("b")!.Offset % 32);
        var again = Serialize(Copy(f));
        Assert.Equal(first, again);
        f.Dispose();
        File.Delete(tmp);
    }

    [Fact]
    public void AlignmentKeyIsHonoured()
    {
        var w = new GgufWriter().Set("general.alignment", GgufValue.Of(64u))
            .AddTensor("x", GgmlType.F32, [3], new byte[12])
            .AddTensor("y", GgmlType.F32, [3], new byte[12]);
        using var f = OpenBytes(Serialize(w), out var tmp);
        Assert.Equal(64u, f.Alignment);
        Assert.Equal(0, f.DataOffset % 64);
        Assert.Equal(64ul, f.FindTensor("y")!.Offset);
        f.Dispose();
        File.Delete(tmp);
    }

    internal static byte[] Rewrite(string path)
    {
        using var f = GgufFile.Open(path);
        return Serialize(Copy(f));
    }

    private static GgufWriter Copy(GgufFile f)
    {
        var w = GgufWriter.CopyMetadataFrom(f);
        foreach (var t in f.Tensors) w.AddTensor(t.Name, t.Type, t.Dimensions, f.GetTensorData(t).ToArray());
        return w;
    }

    internal static byte[] Serialize(GgufWriter w)
    {
        using var ms = new MemoryStream();
        w.WriteTo(ms);
        return ms.ToArray();
    }

    internal static GgufFile OpenBytes(byte[] bytes, out string tempPath)
    {
        tempPath = Path.Combine(Path.GetTempPath(), $"sharpinfer-test-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(tempPath, bytes);
        return GgufFile.Open(tempPath);
    }

    private sealed class TensorInfoComparer : IEqualityComparer<GgufTensorInfo>
    {
        public static readonly TensorInfoComparer Instance = new();
        public bool Equals(GgufTensorInfo? x, GgufTensorInfo? y) =>
            x!.Name == y!.Name && x.Type == y.Type && x.Offset == y.Offset && x.Dimensions.SequenceEqual(y.Dimensions);
        public int GetHashCode(GgufTensorInfo obj) => obj.Name.GetHashCode();
    }
}
