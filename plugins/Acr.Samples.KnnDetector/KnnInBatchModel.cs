using System.Numerics.Tensors;
using Acr.Autograd;
using Acr.Detectors;
using Acr.Nn;
using Acr.Tensors;

namespace Acr.Samples.KnnDetector;

/// <summary>The kNN-in-batch scorer. Works on any backend: it reads the batch back to the host, scores it there and uploads the scores.</summary>
public sealed class KnnInBatchModel : DetectorModel
{
    private readonly int _k;
    private readonly float _epsilon;

    /// <summary>Creates the model.</summary>
    /// <param name="spec">Input width and options <c>k</c>, <c>epsilon</c>.</param>
    public KnnInBatchModel(DetectorModelSpec spec)
        : base(KnnInBatchDetector.DetectorName, spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _k = spec.GetPositiveInt32("k");
        _epsilon = spec.GetPositiveSingle("epsilon");
    }

    /// <inheritdoc />
    public override DetectorTerms Forward(Tape tape, Variable input, in ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(input);
        var rows = input.Shape.Rows;
        var d = input.Shape.Columns;
        var x = input.Value.ToArray();
        var scores = new float[rows];
        var segments = context.Segments;
        for (var s = 0; s < segments.Count; s++)
        {
            var start = segments.Start(s);
            var n = segments.Length(s);
            var batch = x.AsSpan(start * d, n * d);
            if (context.Mode == BatchNormMode.Batch)
            {
                Standardise(batch, n, d, _epsilon);
            }

            ScoreBatch(batch, n, d, Math.Min(_k, n - 1), scores.AsSpan(start, n));
        }

        var score = tape.NewVariable(TensorShape.Vector(rows), requiresGrad: false);
        tape.Backend.Upload(scores, score.Value);
        return new DetectorTerms(score, score, score);
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        // No state: nothing to save but the options in the model's config.
    }

    private static void Standardise(Span<float> batch, int n, int d, float epsilon)
    {
        var column = new float[n];
        for (var j = 0; j < d; j++)
        {
            for (var i = 0; i < n; i++)
            {
                column[i] = batch[(i * d) + j];
            }

            var mean = TensorPrimitives.Sum<float>(column) / n;
            TensorPrimitives.Subtract(column, mean, column);
            var variance = TensorPrimitives.SumOfSquares<float>(column) / n;
            var scale = 1f / MathF.Sqrt(variance + epsilon);
            for (var i = 0; i < n; i++)
            {
                batch[(i * d) + j] = column[i] * scale;
            }
        }
    }

    private static void ScoreBatch(ReadOnlySpan<float> batch, int n, int d, int k, Span<float> scores)
    {
        if (k < 1)
        {
            scores.Clear();
            return;
        }

        var distances = new float[n - 1];
        for (var i = 0; i < n; i++)
        {
            var row = batch.Slice(i * d, d);
            var m = 0;
            for (var j = 0; j < n; j++)
            {
                if (j != i)
                {
                    distances[m++] = TensorPrimitives.Distance(row, batch.Slice(j * d, d));
                }
            }

            // The k smallest distances (a full sort: batches are small).
            Array.Sort(distances);
            scores[i] = TensorPrimitives.Sum<float>(distances.AsSpan(0, k)) / k;
        }
    }
}
