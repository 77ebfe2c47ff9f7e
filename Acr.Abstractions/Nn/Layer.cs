namespace Acr.Nn;

/// <summary>A module that maps one variable to another.</summary>
public abstract class Layer : Module
{
    /// <summary>Applies the layer.</summary>
    /// <param name="tape">The tape to compute and record on.</param>
    /// <param name="input">The input.</param>
    /// <param name="context">Segments and batch-norm mode.</param>
    public abstract Variable Forward(Tape tape, Variable input, in ForwardContext context);
}
