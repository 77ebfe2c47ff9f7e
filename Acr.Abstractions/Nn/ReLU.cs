namespace Acr.Nn;

/// <summary>Rectified linear unit, <c>max(x, 0)</c>; stateless.</summary>
public sealed class ReLU : Layer
{
    /// <inheritdoc />
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context) => Ops.Relu(tape, input);

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
    }
}
