using SharpInfer.Numerics;
using SharpInfer.Numerics.Quants;
using Xunit.Abstractions;

namespace SharpInfer.Tests.Numerics;

/// <summary>
/// Dequantizing every tensor of every micro file lands near the F32 master it was made from; the
/// bound per type is the measured worst case (see <see cref="Bounds"/>) with some headroom.
/// </summary>
public class DequantizationErrorTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Files() => MicroModelFixtures.AllFiles();

    /// <summary>
    /// Worst relative RMS error (‖deq − x‖ / ‖x‖ over a tensor) allowed per type. The micro weights are
    /// Gaussian-like random values; for such data a b-bit quantizer's relative error is roughly
    /// 2^−b times a constant set by the block scheme. The numbers are the measured maxima over all
    /// micro files rounded up by ~25%, so a regression (wrong nibble order, scale, sign) that adds
    /// error of the order of the signal fails loudly while ggml's own error passes.
    /// </summary>
    public static readonly Dictionary<GgmlType, double> Bounds = new()
    {
        // Exact or provably bounded: F32 is a copy; rounding to a p-bit significand errs by at most
        // 2^-p relative per element (F16 p = 11, BF16 p = 8), hence also in RMS.
        [GgmlType.F32] = 0,
        [GgmlType.F16] = 1.0 / 2048,
        [GgmlType.BF16] = 1.0 / 256,
        // Measured maxima over all micro files (in comments) × 1.25.
        [GgmlType.Q8_0] = 6.8e-3,   // 5.42e-3
        [GgmlType.Q6_K] = 2.25e-2,  // 1.80e-2
        [GgmlType.Q5_0] = 5.4e-2,   // 4.31e-2
        [GgmlType.Q5_1] = 4.8e-2,   // 3.80e-2
        [GgmlType.Q5_K] = 4.5e-2,   // 3.63e-2
        [GgmlType.Q4_0] = 0.109,    // 8.70e-2
        [GgmlType.Q4_1] = 0.098,    // 7.86e-2
        [GgmlType.Q4_K] = 0.090,    // 7.21e-2
        [GgmlType.IQ4_NL] = 0.096,  // 7.65e-2
        [GgmlType.IQ4_XS] = 0.096,  // 7.71e-2
        [GgmlType.Q3_K] = 0.19,     // 0.152
        [GgmlType.Q2_K] = 0.373,    // 0.299
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void DequantizedTensorsStayNearTheMaster(string family, string fileType)
    {
        using var master = MicroModelFixtures.OpenMaster(family);
        using var file = MicroModelFixtures.Open(family, fileType);
        var failures = new List<string>();
        foreach (var t in file.Tensors)
        {
            var x = MicroModelFixtures.MasterValues(master, t);
            var y = new float[x.Length];
            Quantization.Dequantize(t.Type, file.GetTensorData(t), y);
            double err2 = 0, ref2 = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double e = (double)y[i] - x[i];
                err2 += e * e;
                ref2 += (double)x[i] * x[i];
            }
            double rel = Math.Sqrt(err2 / ref2);
            output.WriteLine($"ERR {t.Type} {rel:E3} {t.Name}");
            if (!(rel <= Bounds[t.Type])) failures.Add($"{t.Name} ({t.Type}): relative RMS error {rel:E3} > {Bounds[t.Type]:E3}");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
