using Acr.Autograd;
using Acr.Detectors;
using Acr.Detectors.Ntl;
using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Detectors.Tests;

/// <summary>The NTL loss against a direct double-precision computation, through the tape's gradient checker, and at extreme cosines.</summary>
public class NtlLossTests
{
    /// <summary>NormalTerm and AnomalyTerm of one row's view embeddings, directly: the architecture's formulas in double.</summary>
    private static (double Normal, double Anomaly) Direct(float[] e, int views, int dim, int row, double tau)
    {
        var z = new double[views][];
        for (var v = 0; v < views; v++)
        {
            var r = e.AsSpan(((row * views) + v) * dim, dim).ToArray().Select(f => (double)f).ToArray();
            var norm = Math.Sqrt(r.Sum(a => a * a));
            z[v] = r.Select(a => a / norm).ToArray();
        }

        double Cos(int a, int b) => z[a].Zip(z[b], (p, q) => p * q).Sum();
        var m = views - 1;
        double normal = 0, anomaly = 0;
        for (var k = 1; k <= m; k++)
        {
            var pos = Math.Exp(Cos(k, 0) / tau);
            double den = 0;
            for (var j = 0; j < views; j++)
            {
                if (j != k)
                {
                    den += Math.Exp(Cos(k, j) / tau);
                }
            }

            normal += Math.Log(den) - Math.Log(pos);
            anomaly += -Math.Log(1 - (pos / den));
        }

        var s = 1 / Math.Abs(Math.Log(1.0 / m));
        return (normal / m * s, anomaly / m * s);
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("cpu")]
    public void Terms_equal_a_direct_double_computation(string backendName)
    {
        using ComputeBackend backend = backendName == "cpu" ? new CpuBackend(2) : new ReferenceBackend();
        const int rows = 3, views = 5, dim = 4;
        var rng = new SeededRandom(5);
        var e = Enumerable.Range(0, rows * views * dim).Select(_ => (float)rng.NextNormal()).ToArray();
        using var objective = new NtlObjective(backend, views, 0.1f);
        using var tape = new Tape(backend);
        var (normal, anomaly) = objective.Terms(tape, tape.Input(e, TensorShape.Matrix(rows * views, dim)));
        var n = normal.Value.ToArray();
        var a = anomaly.Value.ToArray();
        for (var i = 0; i < rows; i++)
        {
            var (dn, da) = Direct(e, views, dim, i, 0.1);
            Assert.True(Math.Abs(n[i] - dn) <= 1e-4 * (1 + Math.Abs(dn)), $"row {i}: NormalTerm {n[i]} vs direct {dn}");
            Assert.True(Math.Abs(a[i] - da) <= 1e-4 * (1 + Math.Abs(da)), $"row {i}: AnomalyTerm {a[i]} vs direct {da}");
            Assert.True(n[i] > 0 && a[i] > 0);
        }
    }

    /// <summary>
    /// Embeddings whose views are (almost) parallel or antiparallel to the identity view: cos/τ at ±10, where exp(±10/τ·…)
    /// would be taken of ±100 at τ = 0.01 and overflow float; the terms stay finite and match the direct values.
    /// </summary>
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.01f)]
    public void Terms_are_finite_at_extreme_cosines(float tau)
    {
        using var backend = new CpuBackend(2);
        const int views = 4, dim = 3;
        float[] e =
        [
            // Row 0: every view equals the identity (cos = 1 everywhere).
            1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0,
            // Row 1: views antiparallel to the identity, parallel to each other.
            1, 0, 0, -1, 0, 0, -1, 0, 0, -1, 0, 0,
            // Row 2: views aligned with the identity, the others orthogonal or opposite.
            0, 1, 0, 0, 1, 0, 0, 0, 1, 0, -1, 0,
        ];
        using var objective = new NtlObjective(backend, views, tau);
        using var tape = new Tape(backend);
        var (normal, anomaly) = objective.Terms(tape, tape.Input(e, TensorShape.Matrix(3 * views, dim)));
        var n = normal.Value.ToArray();
        var a = anomaly.Value.ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(float.IsFinite(n[i]) && float.IsFinite(a[i]), $"row {i}: NormalTerm {n[i]}, AnomalyTerm {a[i]} at τ = {tau}");
            if (tau >= 0.1f)
            {
                var (dn, da) = Direct(e, views, dim, i, tau);
                Assert.True(Math.Abs(n[i] - dn) <= 1e-3 * (1 + Math.Abs(dn)), $"row {i}: NormalTerm {n[i]} vs direct {dn}");
                Assert.True(Math.Abs(a[i] - da) <= 1e-3 * (1 + Math.Abs(da)), $"row {i}: AnomalyTerm {a[i]} vs direct {da}");
            }
        }

        // Row 1 at τ: every view's positive is e^{−1/τ} against e^{1/τ} negatives: NormalTerm ≈ (2/τ + log 2)·s.
        var s = 1 / Math.Log(views - 1);
        Assert.True(Math.Abs(n[1] - (((2 / tau) + Math.Log(2)) * s)) <= 1e-3 * n[1], $"row 1: {n[1]}");
    }

    public static TheoryData<string> Checks() => [.. LossChecks().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Checks))]
    public void Loss_gradients_match_finite_differences(string name)
    {
        using var backend = new CpuBackend(2);
        var check = LossChecks().Single(c => c.Name == name);
        var result = GradientChecker.Run(backend, check);
        Assert.True(result.Passed, $"{name}: {result.Where} (excess {result.Excess})");
    }

    [Theory]
    [MemberData(nameof(StackChecks))]
    public void Stack_rows_gradients_match_finite_differences(string name)
    {
        using var backend = new CpuBackend(2);
        var check = RowStacking.StackRowsRule.Instance.GradientChecks().Concat(RowStacking.StackManyRule.Instance.GradientChecks()).Single(c => c.Name == name);
        Assert.True(GradientChecker.Run(backend, check).Passed, name);
    }

    public static TheoryData<string> StackChecks() => [.. RowStacking.StackRowsRule.Instance.GradientChecks().Concat(RowStacking.StackManyRule.Instance.GradientChecks()).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(AddChecks))]
    public void Add_gradients_match_finite_differences(string name)
    {
        using var backend = new CpuBackend(2);
        var check = ElementwiseSum.AddRule.Instance.GradientChecks().Single(c => c.Name == name);
        Assert.True(GradientChecker.Run(backend, check).Passed, name);
    }

    public static TheoryData<string> AddChecks() => [.. ElementwiseSum.AddRule.Instance.GradientChecks().Select(c => c.Name)];

    [Theory]
    [InlineData("residual")]
    [InlineData("direct")]
    public void Views_are_the_identity_then_each_transformation_row_by_row(string transform)
    {
        using var backend = new CpuBackend(2);
        const int n = 3, d = 2, m = 2;
        var options = new Dictionary<string, string>
        {
            ["transformations"] = "2", ["transform"] = transform, ["hidden"] = "4", ["encoder-hidden"] = "4", ["encoder-layers"] = "1", ["embedding"] = "3",
            ["temperature"] = "0.1", ["bn-epsilon"] = "1e-5", ["bn-momentum"] = "0.1",
        };
        using var model = new NtlModel(new DetectorModelSpec(d, options, 9), backend);
        float[] x = [1, -2, 0.5f, 3, -1, 0.25f];
        using var tape = new Tape(backend);
        var views = model.Views(tape, tape.Input(x, TensorShape.Matrix(n, d))).Value.ToArray();
        var w1 = model.W1!.Value.ToArray();
        var w2 = model.W2!.Value.ToArray();
        var w3 = model.W3!.Value.ToArray();
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(x.AsSpan(i * d, d).ToArray(), views.AsSpan(i * (m + 1) * d, d).ToArray());
            for (var k = 0; k < m; k++)
            {
                // T_k(x) = ReLU(ReLU(x·W1_k)·W2_k)·W3_k, weights stored [k, in, out].
                var h1 = Enumerable.Range(0, 4).Select(o => Math.Max(0, Enumerable.Range(0, d).Sum(j => (double)x[(i * d) + j] * w1[(k * d * 4) + (j * 4) + o]))).ToArray();
                var h2 = Enumerable.Range(0, 4).Select(o => Math.Max(0, Enumerable.Range(0, 4).Sum(j => h1[j] * w2[(k * 16) + (j * 4) + o]))).ToArray();
                for (var o = 0; o < d; o++)
                {
                    var expected = Enumerable.Range(0, 4).Sum(j => h2[j] * w3[(k * 4 * d) + (j * d) + o]) + (transform == "residual" ? x[(i * d) + o] : 0);
                    var actual = views[(((i * (m + 1)) + k + 1) * d) + o];
                    Assert.True(Math.Abs(actual - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"row {i} view {k + 1} feature {o}: {actual} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void The_initialisation_is_a_pure_function_of_the_seed()
    {
        using var backend = new CpuBackend(2);
        var options = new NtlDetector().Options.ToDictionary(o => o.Name, o => o.DefaultValue);
        float[] Weights(ulong seed)
        {
            using var model = new NtlModel(new DetectorModelSpec(5, options, seed), backend);
            return [.. model.State().SelectMany(s => s.Tensor.ToArray())];
        }

        Assert.Equal(Weights(3), Weights(3));
        Assert.NotEqual(Weights(3), Weights(4));
    }

    private static IEnumerable<GradientCheck> LossChecks()
    {
        var rng = new SeededRandom(23);
        GradientGraph Terms(int views, float tau, bool anomaly)
        {
            NtlObjective? objective = null;
            return (t, v, _) =>
            {
                objective ??= new NtlObjective(t.Backend, views, tau);
                var (n, a) = objective.Terms(t, v[0]);
                return anomaly ? a : n;
            };
        }

        yield return new GradientCheck("NormalTerm, 2 rows × 4 views × 3, τ = 0.5", [GradientLeaf.Random(rng, TensorShape.Matrix(8, 3))], Terms(4, 0.5f, false));
        yield return new GradientCheck("AnomalyTerm, 2 rows × 4 views × 3, τ = 0.5", [GradientLeaf.Random(rng, TensorShape.Matrix(8, 3))], Terms(4, 0.5f, true));
        yield return new GradientCheck("NormalTerm, 3 rows × 3 views × 5, τ = 0.1", [GradientLeaf.Random(rng, TensorShape.Matrix(9, 5))], Terms(3, 0.1f, false)) { Step = 1e-3 };
        yield return new GradientCheck("AnomalyTerm, 3 rows × 3 views × 5, τ = 0.1", [GradientLeaf.Random(rng, TensorShape.Matrix(9, 5))], Terms(3, 0.1f, true)) { Step = 1e-3 };

        // Near-extreme cosines: the views are small perturbations of ±the identity view, so cos/τ sits near ±10 at τ = 0.1.
        var extreme = new float[2 * 4 * 3];
        var sign = new[] { 1f, 1f, -1f, 1f, 1f, -1f, -1f, 1f };
        for (var r = 0; r < 8; r++)
        {
            extreme[r * 3] = sign[r] * 2f;
            extreme[(r * 3) + 1] = rng.NextUniform(-0.3f, 0.3f);
            extreme[(r * 3) + 2] = rng.NextUniform(-0.3f, 0.3f);
        }

        yield return new GradientCheck("NormalTerm at cos/τ near ±10", [new GradientLeaf(TensorShape.Matrix(8, 3), extreme)], Terms(4, 0.1f, false)) { Step = 1e-3 };
        yield return new GradientCheck("AnomalyTerm at cos/τ near ±10", [new GradientLeaf(TensorShape.Matrix(8, 3), extreme)], Terms(4, 0.1f, true)) { Step = 1e-3 };
    }
}
