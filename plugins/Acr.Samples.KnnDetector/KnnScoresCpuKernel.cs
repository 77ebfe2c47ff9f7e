using System.Numerics.Tensors;
using Acr.Compute;

namespace Acr.Samples.KnnDetector;

/// <summary>
/// The CPU kernel of <see cref="KnnScoresOp"/>, written the way a plugin writes one: against host spans of the
/// backend's memory (<see cref="ComputeBackend.HostFloats"/>), vectorised with System.Numerics.Tensors — this
/// plugin's own copy, version 9, while the CPU backend uses version 10 in the same process.
/// </summary>
/// <param name="backend">The CPU backend this kernel serves.</param>
public sealed class KnnScoresCpuKernel(ComputeBackend backend) : IKernel<KnnScoresOp.Args>
{
    private readonly ComputeBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));

    /// <inheritdoc />
    public void Run(in KnnScoresOp.Args args)
    {
        var x = _backend.HostFloats(args.X);
        var scores = _backend.HostFloats(args.Scores);
        var d = args.X.Shape.Columns;
        var segments = args.Segments;
        var batch = Array.Empty<float>();
        var column = Array.Empty<float>();
        var distances = Array.Empty<float>();
        for (var s = 0; s < segments.Count; s++)
        {
            int start = segments.Start(s), n = segments.Length(s);
            if (batch.Length < n * d)
            {
                batch = new float[n * d];
                column = new float[n];
                distances = new float[n];
            }

            var rows = batch.AsSpan(0, n * d);
            x.Slice(start * d, n * d).CopyTo(rows);
            if (args.Standardize)
            {
                Standardize(rows, column.AsSpan(0, n), n, d, args.Epsilon);
            }

            var k = Math.Min(args.K, n - 1);
            for (var i = 0; i < n; i++)
            {
                if (k < 1)
                {
                    scores[start + i] = 0f;
                    continue;
                }

                var row = rows.Slice(i * d, d);
                var m = 0;
                for (var j = 0; j < n; j++)
                {
                    if (j != i)
                    {
                        distances[m++] = TensorPrimitives.Distance(row, rows.Slice(j * d, d));
                    }
                }

                var nearest = distances.AsSpan(0, m);
                nearest.Sort();
                scores[start + i] = TensorPrimitives.Sum<float>(nearest[..k]) / k;
            }
        }
    }

    private static void Standardize(Span<float> rows, Span<float> column, int n, int d, float epsilon)
    {
        for (var j = 0; j < d; j++)
        {
            for (var i = 0; i < n; i++)
            {
                column[i] = rows[(i * d) + j];
            }

            var mean = TensorPrimitives.Sum<float>(column) / n;
            TensorPrimitives.Subtract(column, mean, column);
            var variance = TensorPrimitives.SumOfSquares<float>(column) / n;
            var scale = 1f / MathF.Sqrt(variance + epsilon);
            for (var i = 0; i < n; i++)
            {
                rows[(i * d) + j] = column[i] * scale;
            }
        }
    }
}
