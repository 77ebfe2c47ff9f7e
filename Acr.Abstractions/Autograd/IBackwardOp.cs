namespace Acr.Autograd;

/// <summary>
/// The backward rule of one differentiable operation. Implementations are stateless singletons;
/// everything a call needs sits in the <see cref="TapeEntry"/>.
/// </summary>
public interface IBackwardOp
{
    /// <summary>
    /// Propagates <c>entry.Output.Grad</c> to the inputs that require a gradient, using
    /// <see cref="Tape.GradientFor"/> so that several consumers of one input accumulate.
    /// </summary>
    /// <param name="tape">The tape running the backward pass.</param>
    /// <param name="entry">The recorded operation.</param>
    void Backward(Tape tape, in TapeEntry entry);
}
