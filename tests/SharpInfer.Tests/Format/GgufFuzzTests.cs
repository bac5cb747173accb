using SharpInfer.Format.Gguf;
using SharpInfer.Tests.Support;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Format;

/// <summary>
/// Seeded, reproducible mutations of real files: each mutant must either parse (and then every
/// tensor's data must lie inside the file) or be refused with <see cref="GgufFormatException"/>.
/// Any other exception, a hang or a runaway allocation fails the run.
/// </summary>
public class GgufFuzzTests(ITestOutputHelper output)
{
    private const int MutationsPerFile = 4_000;
    private const int Seed = 20261129;

    private static readonly string[] Files =
    [
        TestPaths.Stories260K,
        Path.Combine(TestPaths.Models, "micro", "micro-llama-Q4_K.gguf"),
        Path.Combine(TestPaths.Models, "micro", "micro-qwen3-Q8_0.gguf"),
        Path.Combine(TestPaths.Models, "llama-2-tiny-random.gguf"),
        Path.Combine(TestPaths.Models, "bad", "test_writer.gguf"),
        Path.Combine(TestPaths.Models, "bad", "example.gguf"),
    ];

    [Fact]
    public unsafe void MutantsLoadOrAreRefusedWithTheTypedError()
    {
        var rng = new Random(Seed);
        int total = 0, accepted = 0, refused = 0;
        var startAllocated = GC.GetTotalAllocatedBytes(precise: false);
        foreach (var path in Files)
        {
            var original = File.ReadAllBytes(TestPaths.Require(path));
            var headerEnd = HeaderLength(original);
            var buffer = (byte[])original.Clone();
            for (var i = 0; i < MutationsPerFile; i++)
            {
                var (length, description) = Mutate(buffer, headerEnd, rng);
                total++;
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    fixed (byte* p = buffer)
                    {
                        var header = GgufParser.Parse(p, length, $"{Path.GetFileName(path)}#{i}");
                        foreach (var t in header.Tensors)
                            Assert.InRange(header.DataOffset + (long)t.Offset + t.ByteSize, 0, length);
                    }
                    accepted++;
                }
                catch (GgufFormatException)
                {
                    refused++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {i} of {Path.GetFileName(path)} (seed {Seed}, {description}) threw {e.GetType().Name}: {e.Message}");
                }
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= 16 * original.Length + (1 << 20),
                    $"mutation {i} of {Path.GetFileName(path)} allocated {allocated} bytes for a {original.Length}-byte file");
                Array.Copy(original, buffer, original.Length);
            }
        }
        var allocatedMiB = (GC.GetTotalAllocatedBytes(precise: false) - startAllocated) / (1024.0 * 1024.0);
        output.WriteLine($"GGUF fuzz: {total} mutations ({accepted} loaded, {refused} refused with GgufFormatException), seed {Seed}, {allocatedMiB:F0} MiB allocated in all");
        Console.WriteLine($"GGUF fuzz: {total} mutations, {accepted} loaded, {refused} refused");
        Assert.True(total >= 20_000, $"only {total} mutations ran");
        Assert.True(refused > total / 10 && accepted > 0, $"mutations too weak or too strong: {accepted} loaded, {refused} refused");
    }

    /// <summary>Where the header (metadata + tensor infos) ends; mutations focus there.</summary>
    private static unsafe long HeaderLength(byte[] bytes)
    {
        try
        {
            fixed (byte* p = bytes) return GgufParser.Parse(p, bytes.Length, "fixture").DataOffset;
        }
        catch (GgufFormatException)
        {
            return bytes.Length;
        }
    }

    private static (long Length, string What) Mutate(byte[] b, long headerEnd, Random rng)
    {
        var span = (int)Math.Min(headerEnd, b.Length);
        var at = rng.Next(Math.Max(1, rng.Next(10) == 0 ? b.Length : span));
        switch (rng.Next(5))
        {
            case 0:
                b[at] ^= (byte)(1 << rng.Next(8));
                return (b.Length, $"bit flip at {at}");
            case 1:
                b[at] = (byte)rng.Next(256);
                return (b.Length, $"byte overwrite at {at}");
            case 2:
                return (rng.Next(b.Length), "truncation");
            case 3:
            {
                // Inflate a length or count: write a large 64-bit value over 8 bytes.
                ulong[] big = [ulong.MaxValue, 1UL << 63, 1UL << 32, (ulong)b.Length, (ulong)b.Length + 1, 0x7FFF_FFFF];
                var v = big[rng.Next(big.Length)];
                var pos = Math.Min(at, b.Length - 8);
                if (pos < 0) return (b.Length, "nothing");
                BitConverter.TryWriteBytes(b.AsSpan(pos, 8), v);
                return (b.Length, $"64-bit {v} at {pos}");
            }
            default:
            {
                // Inflate a 32-bit field (dimension counts, types, small lengths).
                uint[] big = [uint.MaxValue, 5, 13, 40, 0x8000_0000, 1 << 20];
                var v = big[rng.Next(big.Length)];
                var pos = Math.Min(at, b.Length - 4);
                if (pos < 0) return (b.Length, "nothing");
                BitConverter.TryWriteBytes(b.AsSpan(pos, 4), v);
                return (b.Length, $"32-bit {v} at {pos}");
            }
        }
    }
}
