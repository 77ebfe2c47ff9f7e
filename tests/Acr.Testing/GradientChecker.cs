using Acr.Autograd;
using Acr.Compute;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>
/// Central finite-difference gradient checks. The checked function maps leaf variables to an output
/// variable; the scalar loss is L = Σ r ⊙ output with fixed random weights r (a plain sum would make
/// batch norm's input gradient vanish). Every leaf element x is perturbed by ±h and
/// (L(x+h) − L(x−h)) / 2h is compared with the analytic gradient.
/// </summary>
public static class GradientChecker
{
    public delegate Variable Graph(Tape tape, IReadOnlyList<Variable> leaves);

    public sealed record Leaf(TensorShape Shape, float[] Values);

    /// <summary>Returns the worst violation of |analytic − numeric| ≤ atol + rtol·|numeric| (≤ 0 means pass) and a description.</summary>
    public static (double Excess, string Where) Check(IComputeBackend backend, IReadOnlyList<Leaf> leaves, Graph graph,
        double h = 1e-2, double atol = 2e-3, double rtol = 2e-2, ulong seed = 7)
    {
        using var tape = new Tape(backend);
        float[]? weights = null;

        double Loss(bool backward, out float[][] grads)
        {
            tape.Reset();
            var vars = leaves.Select(l => tape.Input(l.Values, l.Shape, requiresGrad: true)).ToArray();
            var output = graph(tape, vars);
            if (weights is null)
            {
                var rng = new SeededRandom(seed);
                weights = Enumerable.Range(0, output.Value.Length).Select(_ => rng.NextUniform(-1f, 1f)).ToArray();
            }

            var w = tape.Input(weights, output.Value.Shape);
            var zeros = tape.Input(new float[weights.Length], TensorShape.Vector(weights.Length));
            // Σ w·out, through the objective op with every row "normal".
            var flat = output;
            var loss = Ops.AcrObjective(tape, flat, flat, zeros, w);
            var value = loss.Value.ToArray()[0];
            grads = [];
            if (backward)
            {
                tape.Backward(loss);
                grads = vars.Select(v => v.Grad is null ? new float[v.Value.Length] : v.Grad.ToArray()).ToArray();
            }

            return value;
        }

        Loss(true, out var analytic);
        var worst = double.NegativeInfinity;
        var where = "";
        for (var l = 0; l < leaves.Count; l++)
        {
            var values = leaves[l].Values;
            for (var i = 0; i < values.Length; i++)
            {
                var original = values[i];
                values[i] = (float)(original + h);
                var plus = Loss(false, out _);
                values[i] = (float)(original - h);
                var minus = Loss(false, out _);
                values[i] = original;
                var numeric = (plus - minus) / (2 * h);
                var excess = Math.Abs(analytic[l][i] - numeric) - (atol + (rtol * Math.Abs(numeric)));
                if (excess > worst)
                {
                    worst = excess;
                    where = $"leaf {l} element {i}: analytic {analytic[l][i]:G6}, numeric {numeric:G6}";
                }
            }
        }

        return (worst, where);
    }

    public static Leaf RandomLeaf(SeededRandom rng, TensorShape shape, float low = -1f, float high = 1f) =>
        new(shape, Enumerable.Range(0, shape.Length).Select(_ => rng.NextUniform(low, high)).ToArray());
}
