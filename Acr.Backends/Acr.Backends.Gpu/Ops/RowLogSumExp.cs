namespace Acr.Backends.Gpu.Ops;

/// <summary><c>row-log-sum-exp</c>: one thread per row, max-shifted, in double.</summary>
internal sealed class RowLogSumExpKernel(GpuBackend backend) : GpuKernel<RowLogSumExpOp.Args>(backend, RowLogSumExpOp.Instance)
{
    protected override void Execute(in RowLogSumExpOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (rows > 0)
        {
            // Without a bias the kernel reads none; x stands in for the view it is never given.
            var bias = a.Bias is { } b ? F(b) : F(a.X);
            Kernels.RowLogSumExp(Stream, Geometry.Linear(rows), F(a.X), bias, F(a.Y), rows, columns, a.Bias?.Shape.Rows ?? 0);
        }
    }
}

/// <summary><c>row-log-sum-exp-backward</c>: one grid-stride launch (the row softmax times dy).</summary>
internal sealed class RowLogSumExpBackwardKernel(GpuBackend backend) : GpuKernel<RowLogSumExpBackwardOp.Args>(backend, RowLogSumExpBackwardOp.Instance)
{
    protected override void Execute(in RowLogSumExpBackwardOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (rows * columns > 0)
        {
            var bias = a.Bias is { } b ? F(b) : F(a.X);
            Kernels.RowLogSumExpBackward(Stream, Geometry.Linear(rows * columns), F(a.X), bias, F(a.Y), F(a.Dy), F(a.Dx), rows, columns, a.Bias?.Shape.Rows ?? 0, Flag(a.Accumulate));
        }
    }
}
