namespace Acr.Nn;

/// <summary>Layers applied in order; child state is named by index (<c>0.weight</c>, <c>1.running_mean</c>, …).</summary>
public sealed class Sequential : Layer
{
    private readonly Layer[] _layers;

    /// <summary>Creates the chain; it owns (and disposes) the layers.</summary>
    /// <param name="layers">The layers, first applied first.</param>
    public Sequential(params Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0)
        {
            throw new ArgumentException("A Sequential needs at least one layer.", nameof(layers));
        }

        _layers = [.. layers];
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc />
    /// <remarks>
    /// A <see cref="BatchNorm"/> or <see cref="BatchNorm2d"/> directly followed by a <see cref="ReLU"/> runs as one fused batch norm +
    /// ReLU (bit-identical results and gradients, one pass fewer over the activations, no intermediate tensor).
    /// </remarks>
    public override Variable Forward(Tape tape, Variable input, in ForwardContext context)
    {
        var x = input;
        for (var i = 0; i < _layers.Length; i++)
        {
            if (_layers[i] is BatchNorm norm && i + 1 < _layers.Length && _layers[i + 1] is ReLU)
            {
                x = norm.Forward(tape, x, context, Activation.Relu);
                i++;
            }
            else if (_layers[i] is BatchNorm2d norm2d && i + 1 < _layers.Length && _layers[i + 1] is ReLU)
            {
                x = norm2d.Forward(tape, x, context, Activation.Relu);
                i++;
            }
            else
            {
                x = _layers[i].Forward(tape, x, context);
            }
        }

        return x;
    }

    /// <inheritdoc />
    protected override void CollectStateCore(string prefix, List<NamedTensor> state)
    {
        for (var i = 0; i < _layers.Length; i++)
        {
            _layers[i].CollectState($"{prefix}{i}.", state);
        }
    }
}
