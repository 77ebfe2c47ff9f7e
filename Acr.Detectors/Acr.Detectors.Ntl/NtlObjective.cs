using Acr.Autograd;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Detectors.Ntl;

/// <summary>
/// NeuTraL-AD's deterministic contrastive loss on the tape, from the contract's general primitives. The embeddings of a
/// row's V = M + 1 views are V consecutive rows (view 0 the identity); they are L2-normalised (<c>RowL2Normalize</c>),
/// their V×V cosine matrices come from <c>GroupGram</c>, and are scaled by 1/τ (<c>Linear</c> with the constant (1/τ)·I).
/// For view k ≥ 1, with S_kj = cos(z_k, z_j)/τ, three stable log-sum-exps of row k (<c>GatherRows</c> then one
/// <c>RowLogSumExp</c> whose periodic −∞ bias masks the terms): log den_k = log Σ_{j≠k} exp S_kj, log rest_k =
/// log Σ_{j∉{k,0}} exp S_kj and log pos_k = S_k0. With s = 1/|log(1/M)|, one constant <c>Linear</c> per term averages
/// over k: NormalTerm = mean_k[log den_k − log pos_k]·s and AnomalyTerm = mean_k[−log(1 − pos_k/den_k)]·s
/// = mean_k[log den_k − log rest_k]·s. No exp is ever taken of an unshifted value, so nothing overflows.
/// </summary>
public sealed class NtlObjective : IDisposable
{
    private readonly ComputeBackend _backend;
    private readonly Tensor _scale;
    private readonly Tensor _mask;
    private readonly Tensor _normalWeights;
    private readonly Tensor _anomalyWeights;
    private readonly Dictionary<int, Tensor> _gather = [];

    /// <summary>Prepares the constants for <paramref name="views"/> views per row.</summary>
    /// <param name="backend">Where the constants live.</param>
    /// <param name="views">V = M + 1, at least 3 (M ≥ 2, so that rest_k is never empty and s is finite).</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 3 views, or τ not positive and finite.</exception>
    public NtlObjective(ComputeBackend backend, int views, float temperature)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (views < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(views), views, "NTL needs at least 2 transformations plus the identity (3 views).");
        }

        if (!(temperature > 0) || !float.IsFinite(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive and finite.");
        }

        _backend = backend;
        Views = views;
        Temperature = temperature;
        var m = views - 1;

        var scale = new float[views * views];
        for (var j = 0; j < views; j++)
        {
            scale[(j * views) + j] = 1f / temperature;
        }

        // Bias row (k − 1)·3 + c masks row k of a row's cosine matrix: c = 0 den (all j ≠ k), c = 1 rest (j ∉ {k, 0}), c = 2 pos (j = 0 only).
        var mask = new float[3 * m * views];
        for (var k = 1; k <= m; k++)
        {
            var den = ((k - 1) * 3) * views;
            var rest = den + views;
            var pos = rest + views;
            mask[den + k] = float.NegativeInfinity;
            mask[rest + k] = float.NegativeInfinity;
            mask[rest] = float.NegativeInfinity;
            for (var j = 1; j < views; j++)
            {
                mask[pos + j] = float.NegativeInfinity;
            }
        }

        var s = 1.0 / Math.Abs(Math.Log(1.0 / m));
        Scale = s;
        var w = (float)(s / m);
        var normal = new float[3 * m];
        var anomaly = new float[3 * m];
        for (var k = 0; k < m; k++)
        {
            normal[3 * k] = w;
            normal[(3 * k) + 2] = -w;
            anomaly[3 * k] = w;
            anomaly[(3 * k) + 1] = -w;
        }

        _scale = Upload(scale, TensorShape.Matrix(views, views));
        _mask = Upload(mask, TensorShape.Matrix(3 * m, views));
        _normalWeights = Upload(normal, TensorShape.Matrix(1, 3 * m));
        _anomalyWeights = Upload(anomaly, TensorShape.Matrix(1, 3 * m));
    }

    /// <summary>V = M + 1, the views per row.</summary>
    public int Views { get; }

    /// <summary>τ.</summary>
    public float Temperature { get; }

    /// <summary>s = 1/|log(1/M)|.</summary>
    public double Scale { get; }

    /// <summary>
    /// The per-row terms of the data rows whose V view embeddings are the consecutive rows of
    /// <paramref name="embeddings"/> ((rows·V)×D, not yet normalised).
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="embeddings">View embeddings, row-major by data row, view 0 first.</param>
    /// <returns>NormalTerm and AnomalyTerm, each a vector of one value per data row.</returns>
    /// <exception cref="ArgumentException">The embeddings do not split into groups of V rows.</exception>
    public (Variable Normal, Variable Anomaly) Terms(Tape tape, Variable embeddings)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Shape.Rank != 2 || embeddings.Shape.Rows % Views != 0 || embeddings.Shape.Rows == 0)
        {
            throw new ArgumentException($"NTL embeddings must be (rows·{Views})×D with rows ≥ 1; got {embeddings.Shape}.", nameof(embeddings));
        }

        var rows = embeddings.Shape.Rows / Views;
        var m = Views - 1;
        var z = Ops.RowL2Normalize(tape, embeddings);
        var cosine = Ops.GroupGram(tape, z, Views);
        var logits = Ops.Linear(tape, Ops.Reshape(tape, cosine, TensorShape.Matrix(rows * Views, Views)), tape.View(_scale, _scale.Shape), null);
        var picked = Ops.GatherRows(tape, logits, GatherIndices(rows));
        var lse = Ops.RowLogSumExp(tape, picked, _mask);
        var perRow = Ops.Reshape(tape, lse, TensorShape.Matrix(rows, 3 * m));
        var normal = Ops.Linear(tape, perRow, tape.View(_normalWeights, _normalWeights.Shape), null);
        var anomaly = Ops.Linear(tape, perRow, tape.View(_anomalyWeights, _anomalyWeights.Shape), null);
        return (Ops.Reshape(tape, normal, TensorShape.Vector(rows)), Ops.Reshape(tape, anomaly, TensorShape.Vector(rows)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _scale.Dispose();
        _mask.Dispose();
        _normalWeights.Dispose();
        _anomalyWeights.Dispose();
        foreach (var t in _gather.Values)
        {
            t.Dispose();
        }

        _gather.Clear();
    }

    private Tensor GatherIndices(int rows)
    {
        if (_gather.TryGetValue(rows, out var cached))
        {
            return cached;
        }

        var m = Views - 1;
        var indices = new int[rows * m * 3];
        for (var i = 0; i < rows; i++)
        {
            for (var k = 1; k <= m; k++)
            {
                for (var c = 0; c < 3; c++)
                {
                    indices[(((i * m) + k - 1) * 3) + c] = (i * Views) + k;
                }
            }
        }

        var t = _backend.Allocate(TensorShape.Vector(indices.Length), DataType.Int32);
        _backend.Upload(indices, t);
        _gather[rows] = t;
        return t;
    }

    private Tensor Upload(float[] data, TensorShape shape)
    {
        var t = _backend.Allocate(shape);
        _backend.Upload(data, t);
        return t;
    }
}
