using LLama;
using LLama.Native;
using SharpInfer.Format.Gguf;

namespace SharpInfer.Bench;

/// <summary>
/// Quantizes each F16 master with llama.cpp's own llama_model_quantize (through LLamaSharp) and
/// compares the result with ours byte for byte: the mixtures' per-tensor choices and fallbacks at
/// full model shapes, which the unit tests' micro models cannot show.
/// </summary>
public static class QuantizerCheck
{
    public static bool Run(Options o)
    {
        // LLamaSharp registers its native-library resolver in NativeApi's static constructor; touch it first.
        NativeApi.llama_empty_call();
        var allSame = true;
        foreach (var m in o.Models)
        {
            var shape = ModelShape.Find(m);
            foreach (var t in o.Types)
            {
                var ftype = t.ToUpperInvariant() switch
                {
                    "Q4_K_M" => LLamaFtype.MOSTLY_Q4_K_M,
                    "Q5_K_M" => LLamaFtype.MOSTLY_Q5_K_M,
                    _ => (LLamaFtype?)null,
                };
                if (ftype is null)
                {
                    // llama.cpp's non-pure Q4_0 etc. differ on purpose (output in Q6_K); LLamaSharp cannot ask for --pure.
                    Console.WriteLine($"verify-quantizer: {m} {t}: skipped (only the Q4_K_M / Q5_K_M mixtures are compared)");
                    continue;
                }
                var ours = ModelFactory.Make(o, shape, t);
                var master = ModelFactory.PathFor(o, shape.Name, "F16");
                var theirs = Path.Combine(o.OutDir, $"{shape.Name}-{t.ToUpperInvariant()}.llama-cpp.gguf");
                if (!File.Exists(theirs) && !LLamaQuantizer.Quantize(master, theirs, ftype.Value, o.Threads, allowRequantize: false, quantizeOutputTensor: true))
                    throw new InvalidOperationException($"llama.cpp could not quantize {master}:\n{NativeProbe.RecentLog()}");
                var verdict = Compare(ours, theirs);
                Console.WriteLine($"verify-quantizer: {m} {t}: {verdict ?? "byte-identical to llama.cpp's"}");
                allSame &= verdict is null;
            }
        }
        return allSame;
    }

    /// <summary>Null when the files are identical; otherwise where they first differ.</summary>
    private static string? Compare(string ours, string theirs)
    {
        using (var a = GgufFile.Open(ours))
        using (var b = GgufFile.Open(theirs))
        {
            if (a.Tensors.Count != b.Tensors.Count) return $"{a.Tensors.Count} tensors vs llama.cpp's {b.Tensors.Count}";
            for (var i = 0; i < a.Tensors.Count; i++)
            {
                var x = a.Tensors[i];
                var y = b.Tensors[i];
                if (x.Name != y.Name) return $"tensor {i} is {x.Name}, llama.cpp's is {y.Name}";
                if (x.Type != y.Type) return $"{x.Name} is {x.Type}, llama.cpp chose {y.Type}";
                if (!a.GetTensorData(x).SequenceEqual(b.GetTensorData(y))) return $"{x.Name} ({x.Type}) has different bytes";
            }
        }
        using var fa = File.OpenRead(ours);
        using var fb = File.OpenRead(theirs);
        if (fa.Length != fb.Length) return $"same tensors, but {fa.Length} bytes vs llama.cpp's {fb.Length} (metadata differs)";
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        long offset = 0;
        while (true)
        {
            var na = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var nb = fb.ReadAtLeast(bb, bb.Length, throwOnEndOfStream: false);
            if (na != nb) return $"read sizes differ at {offset}";
            if (na == 0) return null;
            var diff = ba.AsSpan(0, na).CommonPrefixLength(bb.AsSpan(0, nb));
            if (diff < na) return $"same tensors, first differing byte at {offset + diff} (metadata or padding)";
            offset += na;
        }
    }
}
