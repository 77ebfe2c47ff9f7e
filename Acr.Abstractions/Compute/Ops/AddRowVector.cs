namespace Acr.Compute;

/// <summary><c>y[i, j] = x[i, j] + v[j]</c> on matrix views; x and y are R×C, v has C elements. y may alias x.</summary>
public sealed class AddRowVectorOp() : ComputeOp<AddRowVectorOp, AddRowVectorOp.Args>("add-row-vector")
{
    /// <summary>The arguments.</summary>
    /// <param name="X">Input matrix.</param>
    /// <param name="V">Row vector added to every row.</param>
    /// <param name="Y">Output matrix (may be X).</param>
    public readonly record struct Args(Tensor X, Tensor V, Tensor Y);

    /// <inheritdoc />
    protected internal override void Validate(OpValidator check, in Args a)
    {
        check.Floats((a.X, "x"), (a.V, "v"), (a.Y, "y"));
        check.Length(a.V, a.X.Shape.Columns, "v", "one per column of x");
        check.Matrix(a.Y, a.X.Shape.Rows, a.X.Shape.Columns, "y");
    }

    /// <inheritdoc />
    protected internal override void Reference(in Args a, HostTensors host)
    {
        int r = a.X.Shape.Rows, c = a.X.Shape.Columns;
        var X = host.Read(a.X);
        var V = host.Read(a.V);
        var Y = host.Write(a.Y);
        for (var i = 0; i < r; i++)
        {
            for (var j = 0; j < c; j++)
            {
                Y[(i * c) + j] = X[(i * c) + j] + V[j];
            }
        }
    }

    /// <inheritdoc />
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        foreach (var (rows, columns) in SampleData.RowShapes)
        {
            var x = SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Uniform(rows * columns, rows));
            var v = SampleTensor.Vector(SampleData.Uniform(columns, columns));
            var y = SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Filled(rows * columns, float.NaN));
            yield return new OpSample<Args>($"{rows}×{columns}", [x, v, y], t => new Args(t[0], t[1], t[2]));
            yield return new OpSample<Args>($"{rows}×{columns} in place", [x, v], t => new Args(t[0], t[1], t[0]));
        }
    }
}

public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary><c>y[i, j] = x[i, j] + v[j]</c> (see <see cref="AddRowVectorOp"/>).</summary>
        public void AddRowVector(Tensor x, Tensor v, Tensor y) => backend.Run(AddRowVectorOp.Instance, new AddRowVectorOp.Args(x, v, y));
    }
}
