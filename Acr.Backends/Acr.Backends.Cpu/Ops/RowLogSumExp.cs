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
        var task = RowLogSumExpTask.Create(Backend, a.X, a.Bias, Pointer(a.Y), null, null, false);
        task.Forward = true;
        task.Run(Backend.Pool);
    }
}

/// <summary>Backward: <c>dx (+)= dy · exp(x + bias − y)</c>, vectorised per row.</summary>
internal sealed unsafe class RowLogSumExpBackwardKernel(CpuBackend backend) : CpuKernel<RowLogSumExpBackwardOp.Args>(backend, RowLogSumExpBackwardOp.Instance)
{
    protected override void Execute(in RowLogSumExpBackwardOp.Args a) =>
        RowLogSumExpTask.Create(Backend, a.X, a.Bias, Pointer(a.Y), Pointer(a.Dy), Pointer(a.Dx), a.Accumulate).Run(Backend.Pool);
}

/// <summary>Chunks of rows of the forward or backward pass.</summary>
internal unsafe struct RowLogSumExpTask : IParallelTask
{
    private const int RowsPerTask = 256;

    public float* X;
    public float* Bias;
    public float* Y;
    public float* Dy;
    public float* Dx;
    public float* Scratch;
    public int Rows;
    public int Columns;
    public int Period;
    public bool Accumulate;
    public bool Forward;

    public static RowLogSumExpTask Create(CpuBackend backend, Acr.Tensors.Tensor x, Acr.Tensors.Tensor? bias, float* y, float* dy, float* dx, bool accumulate) => new()
    {
        X = Pointer(x),
        Bias = bias is null ? null : Pointer(bias),
        Period = bias?.Shape.Rows ?? 1,
        Y = y,
        Dy = dy,
        Dx = dx,
        Rows = x.Shape.Rows,
        Columns = x.Shape.Columns,
        Accumulate = accumulate,
        Scratch = backend.FloatScratch.Ensure(Math.Max(1, backend.Pool.Threads * x.Shape.Columns)),
    };

    public void Run(WorkerPool pool)
    {
        var tasks = (Rows + RowsPerTask - 1) / RowsPerTask;
        pool.Run(ref this, tasks, parallel: (long)Rows * Columns >= 1 << 15);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Execute(int index, int worker)
    {
        var c = Columns;
        var terms = new Span<float>(Scratch + ((nint)worker * c), c);
        var end = Math.Min(Rows, (index + 1) * RowsPerTask);
        for (var i = index * RowsPerTask; i < end; i++)
        {
            var x = new ReadOnlySpan<float>(X + ((nint)i * c), c);
            if (Bias is null)
            {
                x.CopyTo(terms);
            }
            else
            {
                TensorPrimitives.Add(x, new ReadOnlySpan<float>(Bias + ((nint)(i % Period) * c), c), terms);
            }

            if (Forward)
            {
                Y[i] = LogSumExp(terms);
                continue;
            }

            var dx = new Span<float>(Dx + ((nint)i * c), c);
            var yi = Y[i];
            if (float.IsNegativeInfinity(yi))
            {
                if (!Accumulate)
                {
                    dx.Clear();
                }

                continue;
            }

            TensorPrimitives.Subtract(terms, yi, terms);
            TensorPrimitives.Exp(terms, terms);
            if (Accumulate)
            {
                TensorPrimitives.MultiplyAdd(terms, Dy[i], dx, dx);
            }
            else
            {
                TensorPrimitives.Multiply(terms, Dy[i], dx);
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
