using System.Globalization;

namespace Acr.Tensors;

/// <summary>
/// The shape of a row-major float32 tensor: up to four dimensions stored inline, so a shape never
/// allocates. The last dimension varies fastest.
/// </summary>
public readonly struct TensorShape : IEquatable<TensorShape>
{
    /// <summary>The largest rank a tensor may have.</summary>
    public const int MaxRank = 4;

    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>Creates a shape from its dimensions (at most <see cref="MaxRank"/>, each ≥ 0).</summary>
    /// <param name="dimensions">The dimensions, outermost first.</param>
    /// <exception cref="ArgumentException">More than <see cref="MaxRank"/> dimensions, or a negative one.</exception>
    public TensorShape(params ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length > MaxRank)
        {
            throw new ArgumentException($"A tensor has at most {MaxRank} dimensions; got {dimensions.Length}.", nameof(dimensions));
        }

        long length = 1;
        foreach (var d in dimensions)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Tensor dimensions must be non-negative; got {d}.", nameof(dimensions));
            }

            length *= d;
        }

        if (length > int.MaxValue)
        {
            throw new ArgumentException($"A tensor holds at most {int.MaxValue} elements; this shape has {length}.", nameof(dimensions));
        }

        Rank = dimensions.Length;
        _d0 = Rank > 0 ? dimensions[0] : 0;
        _d1 = Rank > 1 ? dimensions[1] : 0;
        _d2 = Rank > 2 ? dimensions[2] : 0;
        _d3 = Rank > 3 ? dimensions[3] : 0;
        Length = (int)length;
    }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank { get; }

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>Dimension <paramref name="axis"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not below <see cref="Rank"/>.</exception>
    public int this[int axis]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(axis);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(axis, Rank);
            return axis switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 };
        }
    }

    /// <summary>The outermost dimension (rows of a matrix); 1 for a scalar.</summary>
    public int Rows => Rank == 0 ? 1 : _d0;

    /// <summary>
    /// Elements per row when the tensor is viewed as a <see cref="Rows"/> × <see cref="Columns"/> matrix: the
    /// product of every dimension but the first (1 for a scalar or a vector; a 0×K matrix has K columns).
    /// </summary>
    public int Columns => Rank switch
    {
        <= 1 => 1,
        2 => _d1,
        3 => (int)Math.Min((long)_d1 * _d2, int.MaxValue),
        _ => (int)Math.Min((long)_d1 * _d2 * _d3, int.MaxValue),
    };

    /// <summary>A scalar shape (rank 0, one element).</summary>
    public static TensorShape Scalar => new([]);

    /// <summary>A vector shape of <paramref name="n"/> elements.</summary>
    public static TensorShape Vector(int n) => new(n);

    /// <summary>A matrix shape of <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    public static TensorShape Matrix(int rows, int cols) => new(rows, cols);

    /// <inheritdoc />
    public bool Equals(TensorShape other) =>
        Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TensorShape s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>Equality of rank and every dimension.</summary>
    public static bool operator ==(TensorShape left, TensorShape right) => left.Equals(right);

    /// <summary>Inequality of rank or some dimension.</summary>
    public static bool operator !=(TensorShape left, TensorShape right) => !left.Equals(right);

    /// <summary>The shape as <c>[d0, d1, ...]</c>.</summary>
    public override string ToString()
    {
        Span<int> dims = [_d0, _d1, _d2, _d3];
        return "[" + string.Join(", ", dims[..Rank].ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
    }

    /// <summary>The dimensions as a new array (for serialisation; not for hot paths).</summary>
    public int[] ToArray()
    {
        Span<int> dims = [_d0, _d1, _d2, _d3];
        return dims[..Rank].ToArray();
    }
}
