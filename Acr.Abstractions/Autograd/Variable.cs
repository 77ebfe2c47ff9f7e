namespace Acr.Autograd;

/// <summary>
/// A node of the define-by-run graph: a value tensor and, once backward has reached it, a gradient
/// tensor of the same shape. Intermediate variables belong to a <see cref="Tape"/> and are reused
/// from one pass to the next; <see cref="Parameter"/>s persist.
/// </summary>
public class Variable
{
    private Tensor? _value;

    /// <summary>Creates a variable; <see cref="Tape"/> and <see cref="Parameter"/> are the creators.</summary>
    /// <param name="value">Its value, or null until the tape binds one.</param>
    /// <param name="requiresGrad">Whether gradients flow into it.</param>
    protected internal Variable(Tensor? value, bool requiresGrad)
    {
        _value = value;
        RequiresGrad = requiresGrad;
    }

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">The variable holds no value (its tape slot was released).</exception>
    public Tensor Value
    {
        get => _value ?? throw new InvalidOperationException("This variable has no value: its tape was reset or disposed.");
        internal set => _value = value;
    }

    internal Tensor? ValueOrNull => _value;

    /// <summary>The gradient of the last backward pass (same shape as <see cref="Value"/>), or null if none flowed here.</summary>
    public Tensor? Grad => HasGrad ? GradStorage : null;

    /// <summary>Whether gradients flow into this variable.</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>Whether the current backward pass has written <see cref="Grad"/>.</summary>
    public bool HasGrad { get; internal set; }

    /// <summary>Gradient memory, kept across passes so the steady loop does not allocate.</summary>
    internal Tensor? GradStorage { get; set; }

    /// <summary>The shape of <see cref="Value"/>.</summary>
    public TensorShape Shape => Value.Shape;
}
