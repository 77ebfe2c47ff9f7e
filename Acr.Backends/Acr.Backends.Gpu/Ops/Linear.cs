namespace Acr.Backends.Gpu.Ops;

/// <summary><c>linear</c>: the GEMM kernel with Bᵀ and the bias in its epilogue, added after the product is rounded (so it equals gemm + add-row-vector bit for bit).</summary>
internal sealed class LinearKernel(GpuBackend backend) : GpuKernel<LinearOp.Args>(backend, LinearOp.Instance)
{
    protected override void Execute(in LinearOp.Args a)
    {
        int rows = a.X.Shape.Rows, inputs = a.X.Shape.Columns, outputs = a.Weight.Shape.Rows;
        var bias = a.Bias is { } b ? F(b) : F(a.Y);
        GemmKernel.Enqueue(Backend, F(a.X), F(a.Weight), F(a.Y), bias, GemmKernel.Shape(rows, outputs, inputs, 0, 1, 1f, 0f, 0, 0, 0, 1, 0, Flag(a.Bias is not null)));
    }
}
