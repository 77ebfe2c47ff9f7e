using System.Numerics.Tensors;

namespace Acr.Backends.Cpu.Ops;

/// <summary>
/// Row-wise log-sum-exp: per row the max of x + bias, then the exponentials of the shifted terms (vectorised float
/// exp) summed in double in column order; rows are spread over the team in fixed chunks.
/// </summary>
internal sealed unsafe class RowLogSumExpKernel(CpuBackend backend) : CpuKernel<RowLogSumExpOp.Args>(backend, RowLogSumExpOp.Instance)
{
    protected override void Execute(in RowLogSumExpOp.Args a)
    {
        RowLogSumExpTask.Create(Backend, a.X, a.Bias, Pointer(a.Y), null, null, false, forward: true).Run(Backend.Pool);
    }
}

/// <summary>Backward: <c>dx (+)= dy · exp(x + bias − y)</c>, vectorised per row.</summary>
internal sealed unsafe class RowLogSumExpBackwardKernel(CpuBackend backend) : CpuKernel<RowLogSumExpBackwardOp.Args>(backend, RowLogSumExpBackwardOp.Instance)
{
    protected override void Execute(in RowLogSumExpBackwardOp.Args a) =>
        RowLogSumExpTask.Create(Backend, a.X, a.Bias, Pointer(a.Y), Pointer(a.Dy), Pointer(a.Dx), a.Accumulate, forward: false).Run(Backend.Pool);
}

/// <summary>
/// Chunks of rows of the forward (<paramref name="forward"/>: y = log Σ exp(x + bias)) or backward pass; bias row
/// <c>i mod period</c> goes with row i, and each worker builds a row's terms in its own slice of <paramref name="scratch"/>.
/// </summary>
internal readonly unsafe struct RowLogSumExpTask(float* x, float* bias, int period, float* y, float* dy, float* dx, bool accumulate, bool forward,
    float* scratch, int rows, int columns) : IParallelTask
{
    private const int RowsPerTask = 256;

    public static RowLogSumExpTask Create(CpuBackend backend, Acr.Tensors.Tensor x, Acr.Tensors.Tensor? bias, float* y, float* dy, float* dx, bool accumulate, bool forward) =>
        new(Pointer(x), bias is null ? null : Pointer(bias), bias?.Shape.Rows ?? 1, y, dy, dx, accumulate, forward,
            backend.FloatScratch.Ensure(Math.Max(1, backend.Pool.Threads * x.Shape.Columns)), x.Shape.Rows, x.Shape.Columns);

    public void Run(WorkerPool pool)
    {
        var task = this;
        var tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        pool.Run(ref task, tasks, parallel: (long)rows * columns >= 1 << 15);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int index, int worker)
    {
        var c = columns;
        var terms = new Span<float>(scratch + ((nint)worker * c), c);
        var end = Math.Min(rows, (index + 1) * RowsPerTask);
        for (var i = index * RowsPerTask; i < end; i++)
        {
            var row = new ReadOnlySpan<float>(x + ((nint)i * c), c);
            if (bias is null)
            {
                row.CopyTo(terms);
            }
            else
            {
                TensorPrimitives.Add(row, new ReadOnlySpan<float>(bias + ((nint)(i % period) * c), c), terms);
            }

            if (forward)
            {
                y[i] = LogSumExp(terms);
                continue;
            }

            var gradient = new Span<float>(dx + ((nint)i * c), c);
            var yi = y[i];
            if (float.IsNegativeInfinity(yi))
            {
                if (!accumulate)
                {
                    gradient.Clear();
                }

                continue;
            }

            TensorPrimitives.Subtract(terms, yi, terms);
            TensorPrimitives.Exp(terms, terms);
            if (accumulate)
            {
                TensorPrimitives.MultiplyAdd(terms, dy[i], gradient, gradient);
            }
            else
            {
                TensorPrimitives.Multiply(terms, dy[i], gradient);
            }
        }
    }

    private static float LogSumExp(Span<float> terms)
    {
        var max = float.NegativeInfinity;
        foreach (var v in terms)
        {
            if (float.IsNaN(v))
            {
                return float.NaN;
            }

            max = Math.Max(max, v);
        }

        if (float.IsInfinity(max))
        {
            return max;
        }

        TensorPrimitives.Subtract(terms, max, terms);
        TensorPrimitives.Exp(terms, terms);
        double sum = 0;
        foreach (var e in terms)
        {
            sum += e;
        }

        return (float)(max + Math.Log(sum));
    }
}
