namespace Acr.Compute;

/// <summary><c>y[j] = (accumulate ? y[j] : 0) + Σ_i x[i, j]</c> on the matrix view of x (R×C); y has C elements.</summary>
public sealed class ColumnSumOp() : ComputeOp<ColumnSumOp, ColumnSumOp.Args>("column-sum")
{
    /// <summary>The arguments.</summary>
    /// <param name="X">Input matrix.</param>
    /// <param name="Y">Column sums.</param>
    /// <param name="Accumulate">Add to y instead of overwriting it.</param>
    public readonly record struct Args(Tensor X, Tensor Y, bool Accumulate);

    /// <inheritdoc />
    protected internal override void Validate(OpValidator check, in Args a)
    {
        check.Floats((a.X, "x"), (a.Y, "y"));
        check.Length(a.Y, a.X.Shape.Columns, "y", "one per column of x");
        check.Distinct(a.Y, a.X, "y", "x");
    }

    /// <inheritdoc />
    protected internal override void Reference(in Args a, HostTensors host)
    {
        int r = a.X.Shape.Rows, c = a.X.Shape.Columns;
        var X = host.Read(a.X);
        var Y = host.Write(a.Y);
        for (var j = 0; j < c; j++)
        {
            double s = a.Accumulate ? Y[j] : 0;
            for (var i = 0; i < r; i++)
            {
                s += X[(i * c) + j];
            }

            Y[j] = (float)s;
        }
    }

    /// <inheritdoc />
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        foreach (var (rows, columns) in SampleData.RowShapes)
        {
            var x = SampleTensor.Of(TensorShape.Matrix(rows, columns), SampleData.Uniform(rows * columns, rows, 1f, 0.5f));
            yield return new OpSample<Args>($"{rows}×{columns}", [x, SampleTensor.Vector(SampleData.Filled(columns, float.NaN))], t => new Args(t[0], t[1], false));
            yield return new OpSample<Args>($"{rows}×{columns} accumulate", [x, SampleTensor.Vector(SampleData.Uniform(columns, 3))], t => new Args(t[0], t[1], true));
        }
    }
}

public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary><c>y[j] (+)= Σ_i x[i, j]</c> (see <see cref="ColumnSumOp"/>).</summary>
        public void ColumnSum(Tensor x, Tensor y, bool accumulate) => backend.Run(ColumnSumOp.Instance, new ColumnSumOp.Args(x, y, accumulate));
    }
}
