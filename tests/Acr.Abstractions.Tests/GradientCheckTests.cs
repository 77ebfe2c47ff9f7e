using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;
using Acr.Testing;
using static Acr.Testing.GradientChecker;

namespace Acr.Abstractions.Tests;

/// <summary>
/// Finite-difference gradient checks for every differentiable op, on the scalar reference backend.
/// Central differences with h = 1e-2 on float32 values; pass when
/// |analytic − numeric| ≤ 2e-3 + 2e-2·|numeric| for every element of every input.
/// </summary>
public class GradientCheckTests
{
    private readonly ReferenceBackend _backend = new();

    private static void AssertPasses((double Excess, string Where) result) =>
        Assert.True(result.Excess <= 0, $"gradient mismatch at {result.Where} (excess {result.Excess:G3})");

    [Fact]
    public void Linear_with_bias()
    {
        var rng = new SeededRandom(1);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Matrix(5, 4)), RandomLeaf(rng, TensorShape.Matrix(3, 4)), RandomLeaf(rng, TensorShape.Vector(3))],
            (t, v) => Ops.Linear(t, v[0], v[1], v[2])));
    }

    [Fact]
    public void Linear_without_bias()
    {
        var rng = new SeededRandom(2);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Matrix(3, 6)), RandomLeaf(rng, TensorShape.Matrix(2, 6))],
            (t, v) => Ops.Linear(t, v[0], v[1], null)));
    }

    [Fact]
    public void Relu()
    {
        // Values kept away from the kink at 0, where the derivative is undefined.
        var rng = new SeededRandom(3);
        var leaf = RandomLeaf(rng, TensorShape.Matrix(4, 5));
        for (var i = 0; i < leaf.Values.Length; i++)
        {
            leaf.Values[i] += leaf.Values[i] >= 0 ? 0.1f : -0.1f;
        }

        AssertPasses(Check(_backend, [leaf], (t, v) => Ops.Relu(t, v[0])));
    }

    [Theory]
    [InlineData(new[] { 8 })]
    [InlineData(new[] { 3, 5, 2 })]
    [InlineData(new[] { 4, 4, 4 })]
    public void BatchNorm_segmented(int[] lengths)
    {
        var rng = new SeededRandom(4);
        var segments = BatchSegments.FromLengths(lengths);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Matrix(segments.TotalRows, 3), -2f, 2f), RandomLeaf(rng, TensorShape.Vector(3), 0.5f, 1.5f), RandomLeaf(rng, TensorShape.Vector(3))],
            (t, v) => Ops.BatchNorm(t, v[0], segments, v[1], v[2], 1e-5f),
            h: 5e-3));
    }

    [Theory]
    [InlineData(new[] { 8 })]
    [InlineData(new[] { 3, 5, 2 })]
    public void BatchNorm_with_fused_relu_segmented(int[] lengths)
    {
        // Draw inputs until every pre-activation is at least 0.05 from ReLU's kink, where the derivative
        // is undefined (a step of h = 5e-3 moves a batch-norm output by well under that).
        var segments = BatchSegments.FromLengths(lengths);
        for (ulong seed = 40; ; seed++)
        {
            var rng = new SeededRandom(seed);
            Leaf[] leaves = [RandomLeaf(rng, TensorShape.Matrix(segments.TotalRows, 3), -2f, 2f), RandomLeaf(rng, TensorShape.Vector(3), 0.5f, 1.5f), RandomLeaf(rng, TensorShape.Vector(3))];
            using var probe = new Tape(_backend, recording: false);
            var pre = Ops.BatchNorm(probe, probe.Input(leaves[0].Values, leaves[0].Shape), segments,
                probe.Input(leaves[1].Values, leaves[1].Shape), probe.Input(leaves[2].Values, leaves[2].Shape), 1e-5f).Value.ToArray();
            if (pre.Any(v => Math.Abs(v) < 0.05f) || pre.All(v => v > 0))
            {
                continue;
            }

            AssertPasses(Check(_backend, leaves, (t, v) => Ops.BatchNorm(t, v[0], segments, v[1], v[2], 1e-5f, null, null, 0.1f, Activation.Relu), h: 5e-3));
            return;
        }
    }

    [Fact]
    public void RowSquaredDistance()
    {
        var rng = new SeededRandom(5);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Matrix(6, 4)), RandomLeaf(rng, TensorShape.Vector(4))],
            (t, v) => Ops.RowSquaredDistance(t, v[0], v[1])));
    }

    [Fact]
    public void ShiftedReciprocal()
    {
        var rng = new SeededRandom(6);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Vector(9), 0.5f, 3f)],
            (t, v) => Ops.ShiftedReciprocal(t, v[0], 1e-6f), h: 1e-3));
    }

    [Fact]
    public void AcrObjective_routes_each_row_to_its_term()
    {
        var rng = new SeededRandom(7);
        var labels = new float[] { 0, 1, 0, 0, 1, 1, 0 };
        var weights = Enumerable.Range(0, 7).Select(i => 0.1f * (i + 1)).ToArray();
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Vector(7)), RandomLeaf(rng, TensorShape.Vector(7))],
            (t, v) => Ops.AcrObjective(t, v[0], v[1], t.Input(labels, TensorShape.Vector(7)), t.Input(weights, TensorShape.Vector(7)))));
    }

    [Fact]
    public void Composite_two_layer_network_with_segments()
    {
        var rng = new SeededRandom(8);
        var segments = BatchSegments.Uniform(2, 5);
        AssertPasses(Check(_backend,
            [RandomLeaf(rng, TensorShape.Matrix(10, 3)), RandomLeaf(rng, TensorShape.Matrix(4, 3)), RandomLeaf(rng, TensorShape.Vector(4)),
             RandomLeaf(rng, TensorShape.Vector(4), 0.5f, 1.5f), RandomLeaf(rng, TensorShape.Vector(4)), RandomLeaf(rng, TensorShape.Vector(4))],
            (t, v) =>
            {
                var h1 = Ops.Linear(t, v[0], v[1], v[2]);
                var bn = Ops.BatchNorm(t, h1, segments, v[3], v[4], 1e-5f);
                var d = Ops.RowSquaredDistance(t, bn, v[5]);
                return Ops.ShiftedReciprocal(t, d, 1f);
            }, h: 5e-3));
    }
}
