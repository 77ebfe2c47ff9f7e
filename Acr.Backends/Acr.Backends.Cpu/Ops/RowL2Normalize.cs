namespace Acr.Backends.Cpu.Ops;

/// <summary>Row L2 normalisation: per row the sum of squares in double, then one scaling pass; fixed row chunks over the team.</summary>
internal sealed unsafe class RowL2NormalizeKernel(CpuBackend backend) : CpuKernel<RowL2NormalizeOp.Args>(backend, RowL2NormalizeOp.Instance)
{
    protected override void Execute(in RowL2NormalizeOp.Args a)
    {
        int rows = a.X.Shape.Rows, columns = a.X.Shape.Columns;
        var task = new NormalizeTask(Pointer(a.X), Pointer(a.Y), Pointer(a.Norm), rows, columns, a.Epsilon);
        Backend.Pool.Run(ref task, NormalizeTask.Tasks(rows), parallel: (long)rows * columns >= 1 << 16);
    }

    /// <summary>Rows <c>[index·RowsPerTask, (index + 1)·RowsPerTask)</c>: their norms and normalised rows.</summary>
    private readonly struct NormalizeTask(float* input, float* output, float* norms, int rows, int columns, float epsilon) : IParallelTask
    {
        private const int RowsPerTask = 256;

        public static int Tasks(int rows) => (rows + RowsPerTask - 1) / RowsPerTask;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int index, int worker)
        {
            var d = columns;
            var end = Math.Min(rows, (index + 1) * RowsPerTask);
            for (var i = index * RowsPerTask; i < end; i++)
            {
                var x = input + ((nint)i * d);
                var y = output + ((nint)i * d);
                double s = 0;
                for (var j = 0; j < d; j++)
                {
                    s += (double)x[j] * x[j];
                }

                var norm = Math.Sqrt(s);
                var divisor = Math.Max(norm, epsilon);
                norms[i] = (float)norm;
                for (var j = 0; j < d; j++)
                {
                    y[j] = (float)(x[j] / divisor);
                }
            }
        }
    }
}

/// <summary>Backward: per row the dot product y·dy in double, then <c>(dy − y·dot) / ‖x‖</c> (or dy/ε below ε).</summary>
internal sealed unsafe class RowL2NormalizeBackwardKernel(CpuBackend backend) : CpuKernel<RowL2NormalizeBackwardOp.Args>(backend, RowL2NormalizeBackwardOp.Instance)
{
    protected override void Execute(in RowL2NormalizeBackwardOp.Args a)
    {
        int rows = a.Y.Shape.Rows, d = a.Y.Shape.Columns;
        float* y = Pointer(a.Y), norm = Pointer(a.Norm), dy = Pointer(a.Dy), dx = Pointer(a.Dx);
        for (var i = 0; i < rows; i++)
        {
            float* yr = y + ((nint)i * d), dyr = dy + ((nint)i * d), dxr = dx + ((nint)i * d);
            double dot = 0;
            for (var j = 0; j < d; j++)
            {
                dot += (double)yr[j] * dyr[j];
            }

            var clamped = !(norm[i] > a.Epsilon);
            for (var j = 0; j < d; j++)
            {
                var g = clamped ? dyr[j] / (double)a.Epsilon : (dyr[j] - (yr[j] * dot)) / norm[i];
                dxr[j] = (float)((a.Accumulate ? dxr[j] : 0) + g);
            }
        }
    }
}
