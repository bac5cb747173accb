using ILGPU;
using ILGPU.Runtime;
using SharpInfer.Backends.Gpu.Kernels;
using SharpInfer.Models;
using SharpInfer.Models.Compute;
using SharpInfer.Numerics;

namespace SharpInfer.Backends.Gpu.Offload;

/// <summary>Rows [FirstRow, FirstRow + Rows) of a weight in one device's memory.</summary>
internal sealed record DeviceMatrixPart(GpuDevice Device, int FirstRow, int Rows, MemoryBuffer1D<byte, Stride1D.Dense> Data);

/// <summary>
/// A weight matrix on one or more GPUs: whole on one device (<c>CUDA0</c>) or split by rows
/// (<c>CUDA_Split</c>). Types with a direct kernel keep the file's bytes; the others are
/// dequantised to F32 at upload (the kernel then reads floats).
/// </summary>
internal sealed unsafe class DeviceMatrix : IDisposable
{
    private DeviceMatrix(string name, int type, int k, int m, long rowBytes, DeviceMatrixPart[] parts, int rounding)
    {
        Rounding = rounding;
        Name = name;
        Type = type;
        K = k;
        M = m;
        RowBytes = rowBytes;
        Parts = parts;
    }

    public string Name { get; }
    /// <summary>The bytes' type: the file's, or F32 when dequantised at upload.</summary>
    public int Type { get; }

    /// <summary>How activations are rounded before the product: as ggml's CPU does for the file's type (<see cref="ActivationRounding"/>).</summary>
    public int Rounding { get; }
    public int K { get; }
    public int M { get; }
    public long RowBytes { get; }
    public IReadOnlyList<DeviceMatrixPart> Parts { get; }

    /// <summary>The whole matrix on <paramref name="device"/>, or null when it is split or elsewhere.</summary>
    public DeviceMatrixPart? WholeOn(GpuDevice device) =>
        Parts.Count == 1 && Parts[0].Device == device && Parts[0].Rows == M ? Parts[0] : null;

    public static DeviceMatrix Upload(WeightMatrix w, IReadOnlyList<(GpuDevice Device, int FirstRow, int Rows)> slices)
    {
        bool direct = WeightDot.IsDirect((int)w.Type);
        int type = direct ? (int)w.Type : (int)GgmlType.F32;
        long rowBytes = direct ? w.RowBytes : 4L * w.Columns;
        var parts = new List<DeviceMatrixPart>(slices.Count);
        try
        {
            foreach (var (device, first, rows) in slices)
            {
                var buffer = device.Accelerator.Allocate1D<byte>(Math.Max(rowBytes * rows, 1));
                parts.Add(new DeviceMatrixPart(device, first, rows, buffer));
                if (rows == 0) continue;
                if (direct)
                {
                    buffer.View.SubView(0, rowBytes * rows).CopyFromCPU(ref *w.Row(first), rowBytes * rows);
                }
                else
                {
                    var floats = new float[(long)rows * w.Columns];
                    for (int r = 0; r < rows; r++) RowDecoder.Decode(w.Type, w.Row(first + r), floats.AsSpan(r * w.Columns, w.Columns));
                    fixed (float* f = floats)
                        buffer.View.SubView(0, rowBytes * rows).CopyFromCPU(ref *(byte*)f, rowBytes * rows);
                }
            }
        }
        catch
        {
            foreach (var p in parts) p.Data.Dispose();
            throw;
        }
        return new DeviceMatrix(w.Name, type, w.Columns, w.Rows, rowBytes, parts.ToArray(), ActivationRounding.For(w.Type));
    }

    public void Dispose()
    {
        foreach (var p in Parts) p.Data.Dispose();
    }
}
