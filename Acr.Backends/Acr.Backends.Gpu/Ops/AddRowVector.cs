namespace Acr.Backends.Gpu.Ops;

/// <summary><c>add-row-vector</c>: one grid-stride launch over the elements.</summary>
internal sealed class AddRowVectorKernel(GpuBackend backend) : GpuKernel<AddRowVectorOp.Args>(backend, AddRowVectorOp.Instance)
{
    protected override void Execute(in AddRowVectorOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        if (rows * columns > 0)
        {
            Kernels.AddRowVector(Stream, Geometry.Linear(rows * columns), F(a.X), F(a.V), F(a.Y), rows, columns);
        }
    }
}
