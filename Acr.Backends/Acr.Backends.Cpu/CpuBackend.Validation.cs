using Acr.Compute;
using Acr.Tensors;

namespace Acr.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>The CPU buffer behind <paramref name="tensor"/>, after checking that this backend owns it.</summary>
    private CpuBuffer Own(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Backend, this) || tensor.Buffer is not CpuBuffer buffer || !ReferenceEquals(buffer.Owner, this))
        {
            throw new ArgumentException(
                $"{name} ({tensor}) belongs to another backend ('{tensor.Backend.Name}'); every tensor argument must come from this cpu backend.", name);
        }

        return buffer;
    }

    private static void RequireLength(Tensor tensor, int expected, string name, string operation, string what)
    {
        if (tensor.Length != expected)
        {
            throw new ArgumentException(
                $"{operation}: {name} must have {expected} elements ({what}); got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    private static void RequireStatistics(Tensor tensor, int segments, int channels, string name, string operation)
    {
        if (tensor.Length != segments * channels)
        {
            throw new ArgumentException(
                $"{operation}: {name} must have {segments * channels} elements (segments × channels = {segments}×{channels}, shape [{segments}, {channels}]); " +
                $"got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    private static void RequireSameLength(Tensor tensor, Tensor reference, string name, string referenceName, string operation)
    {
        if (tensor.Length != reference.Length)
        {
            throw new ArgumentException(
                $"{operation}: {name} must have the length of {referenceName}, {reference.Length} elements (shape {reference.Shape}); " +
                $"got shape {tensor.Shape} with {tensor.Length} elements.", name);
        }
    }

    private static void RequireMatrix(Tensor tensor, int rows, int columns, string name, string operation)
    {
        if (tensor.Shape.Rows != rows || tensor.Shape.Columns != columns)
        {
            throw new ArgumentException(
                $"{operation}: {name} must be a {rows}×{columns} matrix (expected shape [{rows}, {columns}]); " +
                $"got shape {tensor.Shape}, a {tensor.Shape.Rows}×{tensor.Shape.Columns} matrix view.", name);
        }
    }

    private static void RequireDistinct(CpuBuffer output, CpuBuffer input, string outputName, string inputName, string operation)
    {
        if (ReferenceEquals(output, input))
        {
            throw new ArgumentException($"{operation}: {outputName} must not alias {inputName}.", outputName);
        }
    }

    private static void RequireSegments(BatchSegments segments, int rows, string operation)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.TotalRows != rows)
        {
            throw new ArgumentException(
                $"{operation}: the segments cover {segments.TotalRows} rows ({segments}) but x has {rows} rows.", nameof(segments));
        }

        for (var s = 0; s < segments.Count; s++)
        {
            if (segments.Length(s) < 2)
            {
                throw new ArgumentException(
                    $"{operation}: segment {s} has {segments.Length(s)} row; batch norm needs a batch size of at least 2 rows per segment " +
                    "(a single row has no variance).", nameof(segments));
            }
        }
    }
}
