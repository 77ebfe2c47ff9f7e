namespace Acr.Autograd;

/// <summary>
/// The differentiable operations. Each computes its result on the tape's backend at once and records its
/// <see cref="GradientRule"/> when the tape is recording. Each lives in the file of the compute op it wraps
/// (<c>Compute/Ops/*.cs</c>), next to the op's formula, validation and reference.
/// </summary>
public static partial class Ops
{
    private static bool AnyRequiresGrad(Variable a, Variable? b = null, Variable? c = null) =>
        a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false);

    /// <summary>Adds <paramref name="source"/> into <paramref name="target"/>'s gradient, or copies it there when it is the first contribution of this pass.</summary>
    private static void AddOrCopy(Tape tape, Tensor source, Variable target)
    {
        var destination = tape.GradientFor(target, out var accumulate);
        if (accumulate)
        {
            tape.Backend.Axpy(1f, source, destination);
        }
        else
        {
            tape.Backend.Copy(source, destination);
        }
    }
}
