using Acr.Compute;
using Acr.Tensors;

namespace Acr.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Batch-mode, segment-aware batch norm without an activation: <see cref="BatchNorm(Tape, Variable, BatchSegments, Variable, Variable, float, Tensor?, Tensor?, float, Activation)"/>
    /// with <see cref="Activation.None"/> (the plugin API 1.0 signature, kept for binary compatibility).
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Input, N×C.</param>
    /// <param name="segments">Row segments (TotalRows = N, every segment ≥ 2 rows).</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="runningMean">Running mean to update, or null.</param>
    /// <param name="runningVariance">Running variance to update, or null.</param>
    /// <param name="momentum">Running-statistics momentum.</param>
    /// <exception cref="ArgumentException">Shapes do not match, or a segment has fewer than 2 rows.</exception>
    public static Variable BatchNorm(Tape tape, Variable x, BatchSegments segments, Variable gamma, Variable beta, float epsilon,
        Tensor? runningMean = null, Tensor? runningVariance = null, float momentum = 0.1f) =>
        BatchNorm(tape, x, segments, gamma, beta, epsilon, runningMean, runningVariance, momentum, Activation.None);

    /// <summary>
    /// Batch-mode, segment-aware batch norm (see <see cref="IComputeBackend.BatchNormForward(Tensor, BatchSegments, Tensor, Tensor, float, Activation, Tensor, Tensor, Tensor, Tensor?, Tensor?, float)"/>):
    /// each segment of rows is normalised with its own mean and population variance, then scaled by
    /// <paramref name="gamma"/> and shifted by <paramref name="beta"/>, then passed through
    /// <paramref name="activation"/> in the same pass. Running statistics are updated when given.
    /// With <see cref="Activation.Relu"/> the result equals <c>Relu(BatchNorm(x))</c> bit for bit, forward
    /// and backward, without the intermediate tensor.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Input, N×C.</param>
    /// <param name="segments">Row segments (TotalRows = N, every segment ≥ 2 rows).</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="runningMean">Running mean to update, or null.</param>
    /// <param name="runningVariance">Running variance to update, or null.</param>
    /// <param name="momentum">Running-statistics momentum.</param>
    /// <param name="activation">Activation fused into the output.</param>
    /// <exception cref="ArgumentException">Shapes do not match, a segment has fewer than 2 rows, or the activation is unknown.</exception>
    public static Variable BatchNorm(Tape tape, Variable x, BatchSegments segments, Variable gamma, Variable beta, float epsilon,
        Tensor? runningMean, Tensor? runningVariance, float momentum, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        RequireMatrix(x, nameof(x));
        var n = x.Shape[0];
        var c = x.Shape[1];
        if (segments.TotalRows != n)
        {
            throw new ArgumentException($"The batch has {n} rows but its segments cover {segments.TotalRows}.", nameof(segments));
        }

        if (segments.MinLength() < 2)
        {
            throw new ArgumentException(
                $"Batch norm in batch mode needs at least 2 rows per batch (segment); got a segment of {segments.MinLength()} row. " +
                "A single row has no variance to normalise by: score batches of 2 or more rows.", nameof(segments));
        }

        RequireLength(gamma.Value, c, nameof(gamma), "one per channel");
        RequireLength(beta.Value, c, nameof(beta), "one per channel");
        var stats = TensorShape.Matrix(segments.Count, c);
        var mean = tape.NewVariable(stats, false);
        var inverseStd = tape.NewVariable(stats, false);
        var y = tape.NewVariable(x.Shape, AnyRequiresGrad(x, gamma, beta));
        IBackwardOp backward = activation switch
        {
            Activation.None => BatchNormBackwardOp.Instance,
            Activation.Relu => BatchNormReluBackwardOp.Instance,
            _ => throw new ArgumentException($"Unknown activation {activation}; batch norm fuses None or Relu.", nameof(activation)),
        };
        tape.Backend.BatchNormForward(x.Value, segments, gamma.Value, beta.Value, epsilon, activation, y.Value, mean.Value, inverseStd.Value,
            runningMean, runningVariance, momentum);
        tape.Record(new TapeEntry(backward, y, x, gamma, beta, mean, inverseStd, segments));
        return y;
    }

    /// <summary>
    /// Running-mode batch norm (see <see cref="IComputeBackend.BatchNormInference"/>): normalises with
    /// the running statistics. For inference only: it records nothing, so it refuses inputs that require a gradient.
    /// </summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">Input, N×C.</param>
    /// <param name="gamma">Scale, C.</param>
    /// <param name="beta">Shift, C.</param>
    /// <param name="runningMean">Running mean, C.</param>
    /// <param name="runningVariance">Running variance, C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <exception cref="InvalidOperationException">The input requires a gradient.</exception>
    public static Variable BatchNormInference(Tape tape, Variable x, Variable gamma, Variable beta, Tensor runningMean, Tensor runningVariance, float epsilon)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVariance);
        RequireMatrix(x, nameof(x));
        if (x.RequiresGrad)
        {
            throw new InvalidOperationException("Running-mode batch norm is for inference and has no backward rule; train in batch mode (ACR's setting).");
        }

        var c = x.Shape[1];
        RequireLength(gamma.Value, c, nameof(gamma), "one per channel");
        RequireLength(runningMean, c, nameof(runningMean), "one per channel");
        var y = tape.NewVariable(x.Shape, false);
        tape.Backend.BatchNormInference(x.Value, gamma.Value, beta.Value, runningMean, runningVariance, epsilon, y.Value);
        return y;
    }

    /// <summary>Backward of batch norm + ReLU: the ReLU mask applied to dy (into scratch), then the batch-norm backward.</summary>
    private sealed class BatchNormReluBackwardOp : IBackwardOp
    {
        public static readonly BatchNormReluBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry)
        {
            var output = entry.Output;
            var masked = tape.NewVariable(output.Shape, false).Value;
            tape.Backend.ReluBackward(output.Value, output.Grad!, masked, accumulate: false);
            BatchNormBackwardOp.Backward(tape, entry, masked);
        }
    }

    private sealed class BatchNormBackwardOp : IBackwardOp
    {
        public static readonly BatchNormBackwardOp Instance = new();

        public void Backward(Tape tape, in TapeEntry entry) => Backward(tape, entry, entry.Output.Grad!);

        /// <summary>The batch-norm backward with <paramref name="dy"/> as the gradient of its (pre-activation) output.</summary>
        public static void Backward(Tape tape, in TapeEntry entry, Tensor dy)
        {
            var x = entry.A;
            var gamma = entry.B!;
            var beta = entry.C!;
            var segments = (BatchSegments)entry.State!;
            var backend = tape.Backend;

            // The fused kernel always produces dx, dγ and dβ; route unwanted ones to scratch so the
            // kernel stays one pass over memory.
            Tensor dx;
            bool accX;
            if (x.RequiresGrad)
            {
                dx = tape.GradientFor(x, out accX);
            }
            else
            {
                dx = tape.NewVariable(x.Shape, false).Value;
                accX = false;
            }

            if (gamma.RequiresGrad != beta.RequiresGrad)
            {
                throw new InvalidOperationException("Batch norm's gamma and beta must both be trainable or both frozen.");
            }

            Tensor dGamma, dBeta;
            bool accP;
            if (gamma.RequiresGrad)
            {
                dGamma = tape.GradientFor(gamma, out accP);
                dBeta = tape.GradientFor(beta, out var accB);
                if (accB != accP)
                {
                    throw new InvalidOperationException("Batch norm's gamma and beta gradients are out of step; clear both before a backward pass.");
                }
            }
            else
            {
                dGamma = tape.NewVariable(gamma.Shape, false).Value;
                dBeta = tape.NewVariable(beta.Shape, false).Value;
                accP = false;
            }

            backend.BatchNormBackward(x.Value, dy, segments, gamma.Value, entry.D!.Value, entry.E!.Value,
                dx, accX, dGamma, dBeta, accP);
        }
    }
}
