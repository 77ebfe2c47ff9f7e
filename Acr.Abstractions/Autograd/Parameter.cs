namespace Acr.Autograd;

/// <summary>
/// A trainable tensor with a persistent value and gradient. Its gradient is allocated on the first
/// backward pass and reused afterwards; <see cref="ClearGradient"/> marks it empty without touching memory.
/// </summary>
public sealed class Parameter : Variable, IDisposable
{
    /// <summary>Creates a trainable parameter that owns <paramref name="value"/>.</summary>
    /// <param name="name">Its name within its module, e.g. <c>weight</c>.</param>
    /// <param name="value">The initial value; the parameter disposes it.</param>
    public Parameter(string name, Tensor value)
        : base(value, requiresGrad: true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
    }

    /// <summary>The parameter's name within its module.</summary>
    public string Name { get; }

    /// <summary>Forgets the gradient of the last backward pass (the next backward overwrites it).</summary>
    public void ClearGradient() => HasGrad = false;

    /// <summary>Disposes value and gradient memory.</summary>
    public void Dispose()
    {
        ValueOrNull?.Dispose();
        GradStorage?.Dispose();
        GradStorage = null;
        HasGrad = false;
    }
}
