using Acr.Tensors;

namespace Acr.Autograd;

/// <summary>
/// The differentiable operations. Each computes its result on the tape's backend at once and records
/// its backward rule when the tape is recording. One operation per partial file.
/// </summary>
public static partial class Ops
{
    private static void RequireMatrix(Variable v, string name)
    {
        if (v.Value.Shape.Rank != 2)
        {
            throw new ArgumentException($"{name} must be a matrix (rank 2); got shape {v.Value.Shape}.", name);
        }
    }

    private static bool AnyRequiresGrad(Variable a, Variable? b = null, Variable? c = null) =>
        a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false);

    private static void RequireLength(Tensor t, int length, string name, string what)
    {
        if (t.Length != length)
        {
            throw new ArgumentException($"{name} must have {length} elements ({what}); got {t.Length} (shape {t.Shape}).", name);
        }
    }
}
