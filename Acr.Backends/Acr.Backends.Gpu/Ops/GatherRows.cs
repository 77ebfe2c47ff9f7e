namespace Acr.Backends.Gpu.Ops;

/// <summary><c>gather-rows</c>: one grid-stride launch over the output elements.</summary>
internal sealed class GatherRowsKernel(GpuBackend backend) : GpuKernel<GatherRowsOp.Args>(backend, GatherRowsOp.Instance)
{
    protected override void Execute(in GatherRowsOp.Args a)
    {
        int count = a.Indices.Length, rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (count * columns > 0)
        {
            Kernels.GatherRows(Stream, Geometry.Linear(count * columns), F(a.X), I(a.Indices), F(a.Y), count, rows, columns);
        }
    }
}

/// <summary><c>scatter-add-rows</c>: one thread per column adds the rows in index order (deterministic, no atomics).</summary>
internal sealed class ScatterAddRowsKernel(GpuBackend backend) : GpuKernel<ScatterAddRowsOp.Args>(backend, ScatterAddRowsOp.Instance)
{
    protected override void Execute(in ScatterAddRowsOp.Args a)
    {
        int count = a.Indices.Length, rows = a.Dx.Shape.Rows, columns = a.Dx.Shape.Columns;
        if (columns > 0)
        {
            Kernels.ScatterAddRows(Stream, Geometry.Linear(columns), F(a.Dy), I(a.Indices), F(a.Dx), count, rows, columns, Flag(a.Accumulate));
        }
    }
}
