namespace Acr.Nn;

/// <summary>
/// Something with state: parameters and buffers, reachable by dotted names for saving, loading and
/// optimisation. Disposing a module disposes its state.
/// </summary>
public abstract class Module : IDisposable
{
    private bool _disposed;

    /// <summary>All parameters and buffers, in a fixed order, with dotted names.</summary>
    public IReadOnlyList<NamedTensor> State()
    {
        var state = new List<NamedTensor>();
        CollectState(string.Empty, state);
        return state;
    }

    /// <summary>The trainable parameters, in <see cref="State"/> order.</summary>
    public IReadOnlyList<Parameter> Parameters() =>
        State().Where(s => s.Parameter is not null).Select(s => s.Parameter!).ToArray();

    /// <summary>Marks every parameter's gradient empty (the next backward pass overwrites it).</summary>
    public void ClearGradients()
    {
        foreach (var p in Parameters())
        {
            p.ClearGradient();
        }
    }

    /// <summary>Appends this module's state under <paramref name="prefix"/> (empty or ending in a dot), in a fixed order.</summary>
    /// <param name="prefix">Name prefix.</param>
    /// <param name="state">The list to append to.</param>
    public void CollectState(string prefix, List<NamedTensor> state)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(state);
        CollectStateCore(prefix, state);
    }

    /// <summary>Appends this module's own state and its children's (see <see cref="CollectState"/>).</summary>
    /// <param name="prefix">Name prefix.</param>
    /// <param name="state">The list to append to.</param>
    protected abstract void CollectStateCore(string prefix, List<NamedTensor> state);

    /// <summary>Disposes the module's own tensors and its children.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        foreach (var s in State())
        {
            if (s.Parameter is { } p)
            {
                p.Dispose();
            }
            else
            {
                s.Tensor.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
