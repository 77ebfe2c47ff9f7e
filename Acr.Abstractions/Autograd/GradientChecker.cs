namespace Acr.Autograd;

/// <summary>
/// Central finite-difference gradient checks. The scalar loss is <c>L = Σ r ⊙ output</c> with fixed random
/// weights r (a plain sum would make batch norm's input gradient vanish). Every leaf element x is perturbed
/// by ±h and <c>(L(x+h) − L(x−h)) / 2h</c>, computed in float32 on the backend under test, is compared with
/// the analytic gradient.
/// </summary>
public static class GradientChecker
{
    /// <summary>The result of one check: the worst excess over the tolerance (≤ 0 means pass) and where it occurred.</summary>
    /// <param name="Excess">max over elements of <c>|analytic − numeric| − (atol + rtol·|numeric|)</c>.</param>
    /// <param name="Where">The worst element, with both values.</param>
    public readonly record struct Result(double Excess, string Where)
    {
        /// <summary>Whether every element was within the tolerance.</summary>
        public bool Passed => Excess <= 0;
    }

    /// <summary>Runs <paramref name="check"/> on <paramref name="backend"/>.</summary>
    /// <param name="backend">The backend under test.</param>
    /// <param name="check">The check.</param>
    /// <param name="seed">Seed of the loss weights.</param>
    public static Result Run(ComputeBackend backend, GradientCheck check, ulong seed = 7)
    {
        Guard.NotNull(backend, check);
        using var tape = new Tape(backend);
        using var segments = check.Segments is { } lengths ? BatchSegments.Create(backend, [.. lengths]) : null;
        var leaves = check.Leaves;
        float[]? weights = null;
        var h = check.Step;

        double Loss(bool backward, out float[][] grads)
        {
            tape.Reset();
            var vars = leaves.Select(l => tape.Input(l.Values, l.Shape, requiresGrad: true)).ToArray();
            var output = check.Graph(tape, vars, segments);
            if (weights is null)
            {
                var rng = new SeededRandom(seed);
                weights = Enumerable.Range(0, output.Value.Length).Select(_ => rng.NextUniform(-1f, 1f)).ToArray();
            }

            // Σ w·out, through the objective op with every row "normal".
            var w = tape.Input(weights, TensorShape.Vector(weights.Length));
            var zeros = tape.Input(new float[weights.Length], TensorShape.Vector(weights.Length));
            // The objective reads its terms by length, so a matrix output is summed element by element.
            var loss = Ops.AcrObjective(tape, output, output, zeros, w);
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
                var excess = Math.Abs(analytic[l][i] - numeric) - (check.AbsoluteTolerance + (check.RelativeTolerance * Math.Abs(numeric)));
                if (double.IsNaN(excess))
                {
                    excess = double.PositiveInfinity; // a NaN gradient never passes
                }

                if (excess > worst)
                {
                    worst = excess;
                    where = $"leaf {l} element {i}: analytic {analytic[l][i]:G6}, numeric {numeric:G6}";
                }
            }
        }

        return new Result(worst, where);
    }
}
