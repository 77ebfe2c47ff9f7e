namespace Acr.Autograd;

/// <summary>
/// A define-by-run autograd tape over an <see cref="ComputeBackend"/>. Operations in
/// <see cref="Ops"/> compute their result at once and, when the tape is recording, append a
/// <see cref="TapeEntry"/>; <see cref="Backward"/> replays the entries in reverse.
/// </summary>
/// <remarks>
/// The tape owns the memory of every intermediate result and gradient. Slots are handed out in
/// call order and kept by <see cref="Reset"/>: when the next pass asks for the same shapes in the
/// same order (the steady training loop), it gets the same tensors back and nothing is allocated.
/// Values from one pass are valid until the next <see cref="Reset"/>.
/// </remarks>
public sealed class Tape : IDisposable
{
    private readonly List<Variable> _slots = [];
    private readonly List<TapeEntry> _entries = [];
    private int _cursor;
    private bool _disposed;

    /// <summary>Creates a tape.</summary>
    /// <param name="backend">The backend every tensor of this tape lives on.</param>
    /// <param name="recording">False for inference: operations run but nothing is recorded and no gradient can be taken.</param>
    public Tape(ComputeBackend backend, bool recording = true)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        IsRecording = recording;
    }

    /// <summary>The backend every tensor of this tape lives on.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>Whether operations are recorded for <see cref="Backward"/>.</summary>
    public bool IsRecording { get; }

    /// <summary>Number of operations recorded since the last <see cref="Reset"/>.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Starts a new pass: forgets the recorded operations and makes every slot available again
    /// (their tensors are reused by the next pass). Variables of the previous pass become invalid.
    /// </summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _entries.Clear();
        _cursor = 0;
    }

    /// <summary>
    /// A variable holding data uploaded from the host into a tape-owned tensor of <paramref name="shape"/>.
    /// </summary>
    /// <param name="data">Exactly <c>shape.Length</c> values.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="requiresGrad">Whether gradients should flow into it (e.g. for gradient checks).</param>
    public Variable Input(ReadOnlySpan<float> data, TensorShape shape, bool requiresGrad = false)
    {
        var v = NewVariable(shape, requiresGrad);
        Backend.Upload(data, v.Value);
        return v;
    }

    /// <summary>A variable holding integers (e.g. row indices) uploaded into a tape-owned Int32 tensor; it takes no gradient.</summary>
    /// <param name="data">Exactly <c>shape.Length</c> values.</param>
    /// <param name="shape">The shape.</param>
    public Variable Input(ReadOnlySpan<int> data, TensorShape shape)
    {
        var v = NewVariable(shape, false, DataType.Int32);
        Backend.Upload(data, v.Value);
        return v;
    }

    /// <summary>A new tape-owned variable of <paramref name="shape"/> whose contents are unspecified until written.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="requiresGrad">Whether gradients flow into it; forced to false when the tape is not recording.</param>
    /// <param name="dataType">The element type (gradients only flow into Float32 variables).</param>
    public Variable NewVariable(TensorShape shape, bool requiresGrad, DataType dataType = DataType.Float32) =>
        NextSlot(new OwnedSlot(shape, dataType), requiresGrad && dataType == DataType.Float32);

    /// <summary>
    /// A tape-owned variable whose value is a view of <paramref name="source"/>'s value under <paramref name="shape"/>
    /// (see <see cref="ComputeBackend.View"/>); its gradient has its own memory. Reused from pass to pass like any slot.
    /// </summary>
    /// <param name="source">The variable whose memory is viewed.</param>
    /// <param name="shape">The view's shape (same length).</param>
    /// <param name="requiresGrad">Whether gradients flow into it; forced to false when the tape is not recording.</param>
    public Variable View(Variable source, TensorShape shape, bool requiresGrad)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ViewOf(source.Value, shape, requiresGrad);
    }

    /// <summary>
    /// A variable over an existing tensor the tape does not own (a constant such as row weights, or data kept on the
    /// device), under <paramref name="shape"/>, without a copy; it takes no gradient.
    /// </summary>
    /// <param name="tensor">The tensor, on this tape's backend; it must outlive the pass.</param>
    /// <param name="shape">The shape to see it under (same length).</param>
    public Variable View(Tensor tensor, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return ViewOf(tensor, shape, requiresGrad: false);
    }

    private Variable ViewOf(Tensor target, TensorShape shape, bool requiresGrad) => NextSlot(new ViewSlot(target, shape), requiresGrad);

    /// <summary>
    /// The variable at the cursor, reused from the last pass when its value still fits <paramref name="kind"/>, else given a new
    /// value (the gradient memory is kept where the kind allows); one slot per call, in call order, so a pass allocates nothing
    /// once the shapes repeat.
    /// </summary>
    private Variable NextSlot<TKind>(in TKind kind, bool requiresGrad)
        where TKind : struct, ISlotKind
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Variable slot;
        if (_cursor == _slots.Count)
        {
            slot = new Variable(kind.Create(Backend), false);
            _slots.Add(slot);
        }
        else
        {
            slot = _slots[_cursor];
            if (slot.ValueOrNull is not { } value || !kind.Fits(value))
            {
                slot.ValueOrNull?.Dispose();
                if (slot.GradStorage is { } g && !kind.KeepsGradient(g))
                {
                    g.Dispose();
                    slot.GradStorage = null;
                }

                slot.Value = kind.Create(Backend);
            }
        }

        _cursor++;
        slot.RequiresGrad = requiresGrad && IsRecording;
        slot.HasGrad = false;
        return slot;
    }

    /// <summary>What a slot's value must be, and how to make it (a struct, so the JIT specialises <see cref="NextSlot"/> and nothing is allocated).</summary>
    private interface ISlotKind
    {
        bool Fits(Tensor value);

        bool KeepsGradient(Tensor gradient);

        Tensor Create(ComputeBackend backend);
    }

    /// <summary>A tensor the tape owns, of one shape and element type.</summary>
    private readonly record struct OwnedSlot(TensorShape Shape, DataType DataType) : ISlotKind
    {
        public bool Fits(Tensor value) => !value.IsView && value.Shape == Shape && value.DataType == DataType;

        public bool KeepsGradient(Tensor gradient) => false;

        public Tensor Create(ComputeBackend backend) => backend.Allocate(Shape, DataType);
    }

    /// <summary>A view of another tensor's memory under a shape.</summary>
    private readonly record struct ViewSlot(Tensor Target, TensorShape Shape) : ISlotKind
    {
        public bool Fits(Tensor value) => value.IsView && value.Shape == Shape && ReferenceEquals(value.QueuedBuffer, Target.Buffer) && !value.IsDisposed;

        public bool KeepsGradient(Tensor gradient) => gradient.Shape == Shape;

        public Tensor Create(ComputeBackend backend) => backend.View(Target, Shape);
    }

    /// <summary>Appends an operation; ignored when the tape is not recording or no operand requires a gradient.</summary>
    /// <param name="entry">The operation.</param>
    /// <returns>The operation's output, so an op can end with <c>return tape.Record(...)</c>.</returns>
    public Variable Record(in TapeEntry entry)
    {
        if (IsRecording && entry.Output.RequiresGrad)
        {
            _entries.Add(entry);
        }

        return entry.Output;
    }

    /// <summary>
    /// The gradient tensor of <paramref name="variable"/> for a backward rule to write, allocating it
    /// on first use. <paramref name="accumulate"/> tells whether an earlier consumer already wrote it
    /// in this pass (then add) or not (then overwrite); either way the gradient counts as written afterwards.
    /// </summary>
    /// <param name="variable">A variable that requires a gradient.</param>
    /// <param name="accumulate">Whether the caller must add to the returned tensor.</param>
    public Tensor GradientFor(Variable variable, out bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var grad = variable.GradStorage;
        if (grad is null || grad.Shape != variable.Value.Shape)
        {
            grad?.Dispose();
            grad = Backend.Allocate(variable.Value.Shape);
            variable.GradStorage = grad;
        }

        accumulate = variable.HasGrad;
        variable.HasGrad = true;
        return grad;
    }

    /// <summary>
    /// Backpropagates from the scalar <paramref name="root"/> (seeded with gradient 1) through every
    /// recorded operation, in reverse order. Parameter gradients are overwritten by their first
    /// contribution of this pass unless they already hold one (call <see cref="Parameter.ClearGradient"/> between steps).
    /// </summary>
    /// <param name="root">A one-element variable produced on this tape.</param>
    /// <exception cref="InvalidOperationException">The tape is not recording, or root is not a scalar that requires a gradient.</exception>
    public void Backward(Variable root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!IsRecording)
        {
            throw new InvalidOperationException("This tape was created with recording off (inference); create it with recording on to take gradients.");
        }

        if (root.Value.Length != 1 || !root.RequiresGrad)
        {
            throw new InvalidOperationException($"Backward starts from a scalar that requires a gradient; got {root.Value.Shape} (requires grad: {root.RequiresGrad}).");
        }

        var seed = GradientFor(root, out _);
        Backend.Fill(seed, 1f);
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (entry.Output.HasGrad)
            {
                entry.Rule.Backward(this, entry);
            }
        }
    }

    /// <summary>Releases every tape-owned tensor.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var slot in _slots)
        {
            slot.ValueOrNull?.Dispose();
            slot.GradStorage?.Dispose();
            slot.Value = null!;
            slot.GradStorage = null;
        }

        _slots.Clear();
        _entries.Clear();
    }
}
