namespace Acr.Compute;

/// <summary>
/// One fused Adam step (PyTorch's formulation) on every element: <c>g = gradient + weightDecay·p</c>;
/// <c>m = β1·m + (1−β1)·g</c>; <c>v = β2·v + (1−β2)·g²</c>;
/// <c>p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)</c>, t = <c>step.Step</c> ≥ 1.
/// The four tensors have one length and are distinct.
/// </summary>
public sealed class AdamUpdateOp() : ComputeOp<AdamUpdateOp, AdamUpdateOp.Args>("adam-update")
{
    /// <summary>The arguments.</summary>
    /// <param name="Parameter">Parameter, updated in place.</param>
    /// <param name="Gradient">Its gradient, same length.</param>
    /// <param name="FirstMoment">First-moment state m, updated.</param>
    /// <param name="SecondMoment">Second-moment state v, updated.</param>
    /// <param name="Step">Hyperparameters and the 1-based step count.</param>
    public readonly record struct Args(Tensor Parameter, Tensor Gradient, Tensor FirstMoment, Tensor SecondMoment, AdamStep Step);

    /// <inheritdoc />
    protected internal override void Validate(OpValidator check, in Args a)
    {
        check.Floats((a.Parameter, "parameter"), (a.Gradient, "gradient"), (a.FirstMoment, "firstMoment"), (a.SecondMoment, "secondMoment"));
        check.SameLength(a.Gradient, a.Parameter, "gradient", "parameter");
        check.SameLength(a.FirstMoment, a.Parameter, "firstMoment", "parameter");
        check.SameLength(a.SecondMoment, a.Parameter, "secondMoment", "parameter");
        check.Distinct(a.FirstMoment, a.SecondMoment, "firstMoment", "secondMoment");
        check.Distinct(a.Parameter, a.Gradient, "parameter", "gradient");
        if (a.Step.Step < 1)
        {
            check.OutOfRange($"the step count t is 1-based; got {a.Step.Step}.", "step");
        }
    }

    /// <inheritdoc />
    protected internal override void Reference(in Args a, HostTensors host)
    {
        var P = host.Write(a.Parameter);
        var G = host.Read(a.Gradient);
        var M = host.Write(a.FirstMoment);
        var V = host.Write(a.SecondMoment);
        var step = a.Step;
        var bc1 = 1 - Math.Pow(step.Beta1, step.Step);
        var bc2 = 1 - Math.Pow(step.Beta2, step.Step);
        for (var i = 0; i < P.Length; i++)
        {
            double g = G[i] + (step.WeightDecay * (double)P[i]);
            double m = (step.Beta1 * (double)M[i]) + ((1 - step.Beta1) * g);
            double v = (step.Beta2 * (double)V[i]) + ((1 - step.Beta2) * g * g);
            M[i] = (float)m;
            V[i] = (float)v;
            P[i] = (float)(P[i] - (step.LearningRate / bc1 * m / ((Math.Sqrt(v) / Math.Sqrt(bc2)) + step.Epsilon)));
        }
    }

    /// <summary>Lengths across the vector widths and the parallel path, steps 1 to 4 from a running state, with and without weight decay.</summary>
    protected override IEnumerable<OpSample<Args>> Samples()
    {
        foreach (var n in new[] { 1, 5, 16, 33, 257, 140_001 })
        {
            foreach (var weightDecay in new[] { 0f, 0.01f })
            {
                for (var step = 1; step <= 4; step++)
                {
                    var p = SampleTensor.Vector(SampleData.Uniform(n, n));
                    var g = SampleTensor.Vector(SampleData.Uniform(n, (n * 10) + step, 0.1f * step));
                    var m = SampleTensor.Vector(step == 1 ? new float[n] : SampleData.Uniform(n, n + 1, 0.05f));
                    var v = SampleTensor.Vector(step == 1 ? new float[n] : SampleData.Uniform(n, n + 2, 0.005f, 0.005f));
                    var s = new AdamStep(1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, step);
                    yield return new OpSample<Args>($"n={n} wd={weightDecay} t={step}", [p, g, m, v], t => new Args(t[0], t[1], t[2], t[3], s));
                }
            }
        }
    }
}

public static partial class BackendOps
{
    extension(ComputeBackend backend)
    {
        /// <summary>One fused Adam step (see <see cref="AdamUpdateOp"/>).</summary>
        public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, AdamStep step) => backend.Run(AdamUpdateOp.Instance, new AdamUpdateOp.Args(parameter, gradient, firstMoment, secondMoment, step));
    }
}
