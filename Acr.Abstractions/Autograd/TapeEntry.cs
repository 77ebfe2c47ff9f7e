namespace Acr.Autograd;

/// <summary>
/// One recorded operation: its backward rule, its output and up to five operands (inputs or saved
/// tensors), an optional reference-typed state and a float. A struct so the tape records without allocating.
/// </summary>
/// <param name="Rule">The backward rule.</param>
/// <param name="Output">The operation's output variable.</param>
/// <param name="A">First operand.</param>
/// <param name="B">Second operand, or null.</param>
/// <param name="C">Third operand, or null.</param>
/// <param name="D">Fourth operand, or null.</param>
/// <param name="E">Fifth operand, or null.</param>
/// <param name="State">Immutable extra state (e.g. the batch segments), or null.</param>
/// <param name="Scalar">A scalar hyperparameter (e.g. an epsilon).</param>
/// <param name="Flags">A small integer hyperparameter (e.g. a group size or transpose flags).</param>
public readonly record struct TapeEntry(
    GradientRule Rule,
    Variable Output,
    Variable A,
    Variable? B = null,
    Variable? C = null,
    Variable? D = null,
    Variable? E = null,
    object? State = null,
    float Scalar = 0f,
    int Flags = 0);
