using SharpInfer.Numerics;
using SharpInfer.Numerics.Threading;

namespace SharpInfer.Models.Compute;

/// <summary>
/// The row-wise steps of a batch — RMS norm, SwiGLU, converting activations to a matmul's vec_dot
/// type — split over the pool by rows. Each row is computed by one thread exactly as it is alone, so
/// the results do not depend on the thread count. On one thread these steps were a tenth of a
/// 2-thread prompt and would cap a 16-core machine at a fraction of its matmul speed (Amdahl).
/// Batches with fewer rows than threads stay on the calling thread (generation).
/// </summary>
internal sealed class RowWork(WorkerPool pool) : IParallelWork
{
    private enum Step { Norm, SwiGlu, Convert }

    private Step _step;
    private float[] _x = [], _w = [], _y = [];
    private byte[] _dst = [];
    private int _xOffset, _yOffset, _rows, _width;
    private float _eps;
    private GgmlType _weightType;

    /// <summary><see cref="RmsNorm.Rows"/> of <paramref name="rows"/> rows of w.Length values; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void RmsNormRows(float[] x, int xOffset, float[] w, float eps, float[] y, int yOffset, int rows)
    {
        (_step, _x, _xOffset, _w, _eps, _y, _yOffset, _rows, _width) = (Step.Norm, x, xOffset, w, eps, y, yOffset, rows, w.Length);
        Go();
    }

    /// <summary><see cref="SwiGlu.Rows"/> in place on <paramref name="gate"/>: gate = silu(gate)·up, rows of <paramref name="width"/>.</summary>
    public void SwiGluRows(float[] gate, float[] up, int rows, int width)
    {
        (_step, _y, _w, _rows, _width) = (Step.SwiGlu, gate, up, rows, width);
        Go();
    }

    /// <summary><see cref="MatMul.ConvertActivations"/> of rows of <paramref name="width"/> floats for a <paramref name="weightType"/> product.</summary>
    public void ConvertActivations(GgmlType weightType, float[] x, int rows, int width, byte[] dst)
    {
        (_step, _weightType, _x, _xOffset, _rows, _width, _dst) = (Step.Convert, weightType, x, 0, rows, width, dst);
        Go();
    }

    private void Go()
    {
        if (_rows < pool.ThreadCount) Execute(0, 1);
        else pool.Run(this);
        (_x, _w, _y, _dst) = ([], [], [], []);
    }

    public void Execute(int part, int parts)
    {
        var (r0, r1) = ParallelWork.Share(_rows, part, parts);
        if (r0 >= r1) return;
        int n = r1 - r0, width = _width;
        switch (_step)
        {
            case Step.Norm:
                RmsNorm.Rows(_x.AsSpan(_xOffset + r0 * width, n * width), _w, _eps, _y.AsSpan(_yOffset + r0 * width, n * width), n);
                break;
            case Step.SwiGlu:
                var g = _y.AsSpan(r0 * width, n * width);
                SwiGlu.Rows(g, _w.AsSpan(r0 * width, n * width), g, n);
                break;
            case Step.Convert:
                long rowBytes = MatMul.ActivationRowBytes(_weightType, width);
                MatMul.ConvertActivations(_weightType, _x.AsSpan(r0 * width, n * width), n, width, _dst.AsSpan((int)(r0 * rowBytes), (int)(n * rowBytes)));
                break;
        }
    }
}
