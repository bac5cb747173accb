namespace SharpInfer.Backends.Cpu.Repack;

/// <summary>
/// Quantizes float activations to Q8_0 rows as ggml's reference <c>quantize_row_q8_0_ref</c> does
/// (d = amax / 127, q = round-half-away(x / d)). The forward pass may bring its own converter; this
/// one exists so the repacked kernels can be used and tested on their own.
/// </summary>
public static class Q8_0Activations
{
    public static void QuantizeRow(ReadOnlySpan<float> x, Span<byte> destination)
    {
        if (x.Length % 32 != 0) throw new ArgumentException("row length must be a multiple of 32");
        if (destination.Length < x.Length / 32 * 34) throw new ArgumentException("destination too small");
        for (int b = 0; b < x.Length / 32; b++)
        {
            var v = x.Slice(b * 32, 32);
            float amax = 0f;
            foreach (var f in v) amax = MathF.Max(amax, MathF.Abs(f));
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            var dst = destination.Slice(b * 34, 34);
            var h = (Half)d;
            System.Runtime.InteropServices.MemoryMarshal.Write(dst, in h);
            for (int i = 0; i < 32; i++) dst[2 + i] = (byte)(sbyte)MathF.Round(v[i] * id, MidpointRounding.AwayFromZero);
        }
    }
}
