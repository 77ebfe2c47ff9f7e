namespace Acr.Compute;

/// <summary>
/// The argument rules of the compute contract, in one place: each method checks one rule and throws an
/// <see cref="ArgumentException"/> whose message starts with the op's name and names the argument, what
/// it must be and what it is. Ops call these from <see cref="ComputeOp{TArgs}.Validate"/>.
/// </summary>
public readonly struct OpValidator
{
    internal OpValidator(ComputeBackend backend, string operation)
    {
        Backend = backend;
        Operation = operation;
    }

    /// <summary>The backend the op runs on.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>The op's name, used as the prefix of every message.</summary>
    public string Operation { get; }

    /// <summary>The tensor is not null, not disposed and belongs to this backend (any element type).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">Its parameter name.</param>
    public void Owned(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Backend, Backend) || !Backend.Owns(tensor.Buffer))
        {
            throw new ArgumentException(
                $"{Operation}: {name} ({tensor}) belongs to another backend ('{tensor.Backend.Name}'); every tensor argument must come from this {Backend.Name} backend.", name);
        }
    }

    /// <summary>The tensor is owned and holds <see cref="DataType.Float32"/> values.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">Its parameter name.</param>
    public void Floats(Tensor tensor, string name)
    {
        Owned(tensor, name);
        if (tensor.DataType != DataType.Float32)
        {
            throw new ArgumentException($"{Operation}: {name} must hold Float32 values; got a {tensor.DataType} tensor of shape {tensor.Shape}.", name);
        }
    }

    /// <summary>Each tensor is owned and holds <see cref="DataType.Float32"/> values (<see cref="Floats(Tensor, string)"/> for each).</summary>
    /// <param name="tensors">The tensors with their parameter names.</param>
    public void Floats(params ReadOnlySpan<(Tensor Tensor, string Name)> tensors)
    {
        foreach (var (tensor, name) in tensors)
        {
            Floats(tensor, name);
        }
    }

    /// <summary>The tensor is owned and holds <see cref="DataType.Int32"/> values.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">Its parameter name.</param>
    public void Indices(Tensor tensor, string name)
    {
        Owned(tensor, name);
        if (tensor.DataType != DataType.Int32)
        {
            throw new ArgumentException($"{Operation}: {name} must hold Int32 values (indices); got a {tensor.DataType} tensor of shape {tensor.Shape}.", name);
        }
    }

    /// <summary>The optional tensor is null or a float tensor of this backend.</summary>
    /// <param name="tensor">The tensor, or null.</param>
    /// <param name="name">Its parameter name.</param>
    public void OptionalFloats(Tensor? tensor, string name)
    {
        if (tensor is not null)
        {
            Floats(tensor, name);
        }
    }

    /// <summary>The tensor has exactly <paramref name="expected"/> elements.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="expected">The required length.</param>
    /// <param name="name">Its parameter name.</param>
    /// <param name="what">What the elements are, e.g. <c>one per channel</c>.</param>
    public void Length(Tensor tensor, int expected, string name, string what)
    {
        if (tensor.Length != expected)
        {
            throw new ArgumentException(
                $"{Operation}: {name} must have {expected} elements ({what}); got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    /// <summary>The tensor has the length of <paramref name="reference"/>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="reference">The tensor whose length it must have.</param>
    /// <param name="name">Its parameter name.</param>
    /// <param name="referenceName">The other's parameter name.</param>
    public void SameLength(Tensor tensor, Tensor reference, string name, string referenceName)
    {
        if (tensor.Length != reference.Length)
        {
            throw new ArgumentException(
                $"{Operation}: {name} must have the length of {referenceName}, {reference.Length} elements (shape {reference.Shape}); " +
                $"got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    /// <summary>Both tensors have the same element type.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="reference">The tensor whose type it must have.</param>
    /// <param name="name">Its parameter name.</param>
    /// <param name="referenceName">The other's parameter name.</param>
    public void SameType(Tensor tensor, Tensor reference, string name, string referenceName)
    {
        if (tensor.DataType != reference.DataType)
        {
            throw new ArgumentException($"{Operation}: {name} holds {tensor.DataType} but {referenceName} holds {reference.DataType}; both must have one element type.", name);
        }
    }

    /// <summary>The tensor's matrix view is <paramref name="rows"/> × <paramref name="columns"/>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="rows">Required rows.</param>
    /// <param name="columns">Required columns.</param>
    /// <param name="name">Its parameter name.</param>
    public void Matrix(Tensor tensor, int rows, int columns, string name)
    {
        if (tensor.Shape.Rows != rows || tensor.Shape.Columns != columns)
        {
            throw new ArgumentException(
                $"{Operation}: {name} must be a {rows}×{columns} matrix (expected shape [{rows}, {columns}]); " +
                $"got shape {tensor.Shape}, a {tensor.Shape.Rows}×{tensor.Shape.Columns} matrix view.", name);
        }
    }

    /// <summary>The tensor has rank 3 (a batch of matrices, <c>[batch, rows, columns]</c>).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">Its parameter name.</param>
    public void Batch(Tensor tensor, string name)
    {
        if (tensor.Shape.Rank != 3)
        {
            throw new ArgumentException($"{Operation}: {name} must be a batch of matrices, shape [batch, rows, columns]; got shape {tensor.Shape}.", name);
        }
    }

    /// <summary>The output does not share memory with the input.</summary>
    /// <param name="output">The output tensor.</param>
    /// <param name="input">The input tensor.</param>
    /// <param name="outputName">The output's parameter name.</param>
    /// <param name="inputName">The input's parameter name.</param>
    public void Distinct(Tensor output, Tensor? input, string outputName, string inputName)
    {
        if (input is not null && ReferenceEquals(output.Buffer, input.Buffer))
        {
            throw new ArgumentException($"{Operation}: {outputName} must not alias {inputName}.", outputName);
        }
    }

    /// <summary>
    /// Rows derived from a matrix (gathered from it, reduced from it or added back into it): both hold floats,
    /// <paramref name="rows"/> is a <paramref name="rowCount"/> × C matrix with the C columns of <paramref name="source"/>,
    /// and the two do not share memory.
    /// </summary>
    /// <param name="rows">The derived rows.</param>
    /// <param name="rowsName">Its parameter name.</param>
    /// <param name="source">The matrix whose columns it has.</param>
    /// <param name="sourceName">Its parameter name.</param>
    /// <param name="rowCount">How many rows it must have.</param>
    public void RowsOf(Tensor rows, string rowsName, Tensor source, string sourceName, int rowCount)
    {
        Floats((source, sourceName), (rows, rowsName));
        Matrix(rows, rowCount, source.Shape.Columns, rowsName);
        Distinct(rows, source, rowsName, sourceName);
    }

    /// <summary><see cref="RowsOf"/> with one row per Int32 index into <paramref name="source"/>'s rows.</summary>
    /// <param name="rows">The gathered (or scattered) rows.</param>
    /// <param name="rowsName">Its parameter name.</param>
    /// <param name="source">The indexed matrix.</param>
    /// <param name="sourceName">Its parameter name.</param>
    /// <param name="indices">The Int32 row indices.</param>
    public void RowsByIndex(Tensor rows, string rowsName, Tensor source, string sourceName, Tensor indices)
    {
        Indices(indices, nameof(indices));
        RowsOf(rows, rowsName, source, sourceName, indices.Length);
    }

    /// <summary><see cref="RowsOf"/> with one row per segment of <paramref name="source"/>'s rows (see <see cref="Segments"/>).</summary>
    /// <param name="rows">The per-segment rows.</param>
    /// <param name="rowsName">Its parameter name.</param>
    /// <param name="source">The segmented matrix.</param>
    /// <param name="sourceName">Its parameter name.</param>
    /// <param name="segments">Its row segments.</param>
    public void RowsBySegment(Tensor rows, string rowsName, Tensor source, string sourceName, BatchSegments segments)
    {
        Segments(segments, source.Shape.Rows);
        RowsOf(rows, rowsName, source, sourceName, segments.Count);
    }

    /// <summary><see cref="RowsOf"/> with one row per group of <paramref name="groupSize"/> consecutive rows of <paramref name="source"/>, which must split into such groups.</summary>
    /// <param name="rows">The per-group rows.</param>
    /// <param name="rowsName">Its parameter name.</param>
    /// <param name="source">The grouped matrix.</param>
    /// <param name="sourceName">Its parameter name.</param>
    /// <param name="groupSize">Rows per group, at least 1.</param>
    public void RowsByGroup(Tensor rows, string rowsName, Tensor source, string sourceName, int groupSize)
    {
        if (groupSize < 1)
        {
            OutOfRange($"the group size must be at least 1; got {groupSize}.", nameof(groupSize));
        }

        if (source.Shape.Rows % groupSize != 0)
        {
            Fail($"{source.Shape.Rows} rows do not split into groups of {groupSize}.", nameof(groupSize));
        }

        RowsOf(rows, rowsName, source, sourceName, source.Shape.Rows / groupSize);
    }

    /// <summary>A per-segment statistics tensor has <c>segments × channels</c> elements.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="segments">Number of segments S.</param>
    /// <param name="channels">Number of channels C.</param>
    /// <param name="name">Its parameter name.</param>
    public void Statistics(Tensor tensor, int segments, int channels, string name)
    {
        if (tensor.Length != segments * channels)
        {
            throw new ArgumentException(
                $"{Operation}: {name} must have {segments * channels} elements (segments × channels = {segments}×{channels}, shape [{segments}, {channels}]); " +
                $"got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    /// <summary>The segments belong to this backend, are not disposed and cover exactly <paramref name="rows"/> rows.</summary>
    /// <param name="segments">The segments.</param>
    /// <param name="rows">Rows of the input they split.</param>
    public void Segments(BatchSegments segments, int rows)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (!ReferenceEquals(segments.Backend, Backend))
        {
            throw new ArgumentException($"{Operation}: the segments ({segments}) belong to the '{segments.Backend.Name}' backend; create them on this {Backend.Name} backend.", nameof(segments));
        }

        if (segments.IsDisposed)
        {
            throw new ObjectDisposedException(nameof(BatchSegments), $"{Operation}: the segments ({segments}) were disposed.");
        }

        if (segments.TotalRows != rows)
        {
            throw new ArgumentException(
                $"{Operation}: the segments cover {segments.TotalRows} rows ({segments}) but x has {rows} rows.", nameof(segments));
        }
    }

    /// <summary>
    /// Batch-norm segments: <see cref="Segments"/>, and every segment has at least 2 rows (batch mode needs a
    /// variance; a single row has none).
    /// </summary>
    /// <param name="segments">The segments.</param>
    /// <param name="rows">Rows of the input they split.</param>
    public void BatchNormSegments(BatchSegments segments, int rows)
    {
        Segments(segments, rows);
        for (var s = 0; s < segments.Count; s++)
        {
            if (segments.Length(s) < 2)
            {
                throw new ArgumentException(
                    $"{Operation}: segment {s} has {segments.Length(s)} row; batch norm needs a batch size of at least 2 rows per segment " +
                    "(a single row has no variance).", nameof(segments));
            }
        }
    }

    /// <summary>A host span of <paramref name="hostLength"/> elements matches the tensor.</summary>
    /// <param name="hostLength">Length of the host span.</param>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">The span's parameter name.</param>
    public void HostLength(int hostLength, Tensor tensor, string name)
    {
        if (hostLength != tensor.Length)
        {
            throw new ArgumentException(
                $"{Operation}: the host span has {hostLength} values but the tensor (shape {tensor.Shape}) holds {tensor.Length}.", name);
        }
    }

    /// <summary>The element range <c>[offset, offset + count)</c> lies inside the tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="offset">First element.</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="name">The offset's parameter name.</param>
    public void Range(Tensor tensor, int offset, int count, string name)
    {
        if (offset < 0 || count < 0 || (long)offset + count > tensor.Length)
        {
            throw new ArgumentOutOfRangeException(name, $"{Operation}: the range [{offset}, {(long)offset + count}) does not lie inside the tensor's {tensor.Length} elements (shape {tensor.Shape}).");
        }
    }

    /// <summary>Throws the <see cref="ArgumentException"/> of a rule an op checks itself; the message gets the op's name as prefix.</summary>
    /// <param name="message">What is wrong and what it must be.</param>
    /// <param name="argument">The op argument at fault.</param>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Fail(string message, string argument) => throw new ArgumentException($"{Operation}: {message}", argument);

    /// <summary>Throws the <see cref="ArgumentOutOfRangeException"/> of a scalar argument outside its range; the message gets the op's name as prefix.</summary>
    /// <param name="message">What the range is and what the value is.</param>
    /// <param name="argument">The op argument at fault.</param>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void OutOfRange(string message, string argument) => throw new ArgumentOutOfRangeException(argument, $"{Operation}: {message}");
}
