using System.Globalization;

namespace Acr.Compute;

/// <summary>
/// One conformance sample of an op: the tensors it starts from and how they bind to the op's arguments.
/// The check runs the op on the backend under test and on <see cref="ReferenceBackend"/> over the same
/// data, then compares every tensor (inputs included, so a kernel that writes where it must not is caught).
/// </summary>
/// <typeparam name="TArgs">The op's arguments.</typeparam>
/// <param name="name">What the sample covers, e.g. <c>n=257 in place</c>.</param>
/// <param name="tensors">The tensors, in the order <paramref name="bind"/> indexes them.</param>
/// <param name="bind">Builds the arguments from the tensors (the same tensor may be bound twice, for in-place variants).</param>
public sealed class OpSample<TArgs>(string name, IReadOnlyList<SampleTensor> tensors, Func<SampleBinding, TArgs> bind)
    where TArgs : struct
{
    /// <summary>What the sample covers.</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The tensors.</summary>
    public IReadOnlyList<SampleTensor> Tensors { get; } = tensors ?? throw new ArgumentNullException(nameof(tensors));

    /// <summary>Builds the arguments.</summary>
    public Func<SampleBinding, TArgs> Bind { get; } = bind ?? throw new ArgumentNullException(nameof(bind));

    /// <summary>Segment lengths, when the op takes <see cref="BatchSegments"/> (created on each backend).</summary>
    public IReadOnlyList<int>? Segments { get; init; }

    /// <summary>Relative tolerance: a float element passes when <c>|actual − expected| ≤ Tolerance·(1 + |expected|)</c> (1e-5 by default; 0 asks for equality).</summary>
    public double Tolerance { get; init; } = 1e-5;

    /// <summary>
    /// Optional per-element absolute bounds replacing <see cref="Tolerance"/>: given the sample's initial data and
    /// a tensor index, the bound of each element of that tensor (null keeps the relative tolerance for it).
    /// </summary>
    public Func<IReadOnlyList<SampleTensor>, int, double[]?>? Bounds { get; init; }

    /// <summary>Runs the sample on both backends and compares; null when they agree, else what differed.</summary>
    internal string? Check(ComputeOp<TArgs> op, ComputeBackend backend, ComputeBackend reference)
    {
        var mine = new Tensor[Tensors.Count];
        var expected = new Tensor[Tensors.Count];
        BatchSegments? mySegments = null, referenceSegments = null;
        try
        {
            for (var i = 0; i < Tensors.Count; i++)
            {
                mine[i] = Tensors[i].Create(backend);
                expected[i] = Tensors[i].Create(reference);
            }

            if (Segments is { } lengths)
            {
                mySegments = BatchSegments.Create(backend, [.. lengths]);
                referenceSegments = BatchSegments.Create(reference, [.. lengths]);
            }

            reference.Run(op, Bind(new SampleBinding(reference, expected, referenceSegments)));
            try
            {
                backend.Run(op, Bind(new SampleBinding(backend, mine, mySegments)));
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
            {
                return $"{op.Name} [{Name}]: the backend threw {e.GetType().Name}: {e.Message}";
            }

            for (var i = 0; i < Tensors.Count; i++)
            {
                var failure = Compare(op, i, expected[i], mine[i]);
                if (failure is not null)
                {
                    return failure;
                }
            }

            return null;
        }
        finally
        {
            foreach (var t in mine.Concat(expected))
            {
                t?.Dispose();
            }

            mySegments?.Dispose();
            referenceSegments?.Dispose();
        }
    }

    private string? Compare(ComputeOp op, int index, Tensor expectedTensor, Tensor actualTensor)
    {
        var where = $"{op.Name} [{Name}], tensor {index} {Tensors[index].Shape}";
        if (Tensors[index].DataType == DataType.Int32)
        {
            var e = expectedTensor.ToInt32Array();
            var a = actualTensor.ToInt32Array();
            for (var k = 0; k < e.Length; k++)
            {
                if (e[k] != a[k])
                {
                    return $"{where}: element {k} of {e.Length}: expected {e[k]}, got {a[k]}.";
                }
            }

            return null;
        }

        var expected = expectedTensor.ToArray();
        var actual = actualTensor.ToArray();
        var bounds = Bounds?.Invoke(Tensors, index);
        for (var k = 0; k < expected.Length; k++)
        {
            double ev = expected[k], av = actual[k];
            if (double.IsNaN(ev) || double.IsNaN(av) || double.IsInfinity(ev) || double.IsInfinity(av))
            {
                if (!(double.IsNaN(ev) && double.IsNaN(av)) && ev != av)
                {
                    return $"{where}: element {k} of {expected.Length}: expected {Format(ev)}, got {Format(av)}.";
                }

                continue;
            }

            var bound = bounds is not null ? bounds[k] : Tolerance * (1 + Math.Abs(ev));
            if (!(Math.Abs(av - ev) <= bound))
            {
                return $"{where}: element {k} of {expected.Length}: expected {Format(ev)}, got {Format(av)} (|diff| {Format(Math.Abs(av - ev))} > {Format(bound)}).";
            }
        }

        return null;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The initial contents of one tensor of an <see cref="OpSample{TArgs}"/>.</summary>
public sealed class SampleTensor
{
    private SampleTensor(TensorShape shape, float[]? floats, int[]? ints)
    {
        Shape = shape;
        Floats = floats;
        Int32s = ints;
    }

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The element type.</summary>
    public DataType DataType => Int32s is null ? DataType.Float32 : DataType.Int32;

    /// <summary>The float contents (for <see cref="DataType.Float32"/>).</summary>
    public float[]? Floats { get; }

    /// <summary>The integer contents (for <see cref="DataType.Int32"/>).</summary>
    public int[]? Int32s { get; }

    /// <summary>A float tensor holding <paramref name="values"/>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">Exactly <c>shape.Length</c> values.</param>
    public static SampleTensor Of(TensorShape shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Length == shape.Length ? new SampleTensor(shape, values, null) : throw new ArgumentException($"Shape {shape} needs {shape.Length} values; got {values.Length}.", nameof(values));
    }

    /// <summary>A vector holding <paramref name="values"/>.</summary>
    /// <param name="values">The values.</param>
    public static SampleTensor Vector(float[] values) => Of(TensorShape.Vector((values ?? throw new ArgumentNullException(nameof(values))).Length), values);

    /// <summary>An integer tensor holding <paramref name="values"/>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="values">Exactly <c>shape.Length</c> values.</param>
    public static SampleTensor Of(TensorShape shape, int[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Length == shape.Length ? new SampleTensor(shape, null, values) : throw new ArgumentException($"Shape {shape} needs {shape.Length} values; got {values.Length}.", nameof(values));
    }

    internal Tensor Create(ComputeBackend backend)
    {
        var t = backend.Allocate(Shape, DataType);
        if (Int32s is not null)
        {
            backend.Upload(Int32s, t);
        }
        else
        {
            backend.Upload(Floats!, t);
        }

        return t;
    }
}

/// <summary>The tensors of one sample as created on one backend, for <see cref="OpSample{TArgs}.Bind"/>.</summary>
public sealed class SampleBinding
{
    private readonly IReadOnlyList<Tensor> _tensors;

    internal SampleBinding(ComputeBackend backend, IReadOnlyList<Tensor> tensors, BatchSegments? segments)
    {
        Backend = backend;
        _tensors = tensors;
        Segments = segments;
    }

    /// <summary>The backend the tensors live on.</summary>
    public ComputeBackend Backend { get; }

    /// <summary>The sample's segments on this backend, or null when the sample has none.</summary>
    public BatchSegments? Segments { get; }

    /// <summary>Tensor <paramref name="index"/> of the sample.</summary>
    /// <param name="index">Position in <see cref="OpSample{TArgs}.Tensors"/>.</param>
    public Tensor this[int index] => _tensors[index];
}

/// <summary>Deterministic sample data (the same on every platform: drawn with <see cref="Numerics.SeededRandom"/>).</summary>
public static class SampleData
{
    /// <summary>Lengths 1..257 (every vector width and tail) plus two lengths large enough for parallel paths.</summary>
    public static IReadOnlyList<int> SweepLengths { get; } = [.. Enumerable.Range(1, 257), 140_001, 300_000];

    /// <summary>Matrix shapes for row-wise ops: single rows and columns, vector-width edges, and sizes large enough for parallel paths.</summary>
    public static IReadOnlyList<(int Rows, int Columns)> RowShapes { get; } =
        [(1, 1), (1, 17), (3, 5), (7, 16), (5, 33), (64, 64), (33, 257), (700, 3), (1030, 17), (1100, 130), (2000, 131)];

    /// <summary><paramref name="n"/> values uniform in <c>[offset − scale, offset + scale)</c>.</summary>
    /// <param name="n">How many.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="scale">Half-width.</param>
    /// <param name="offset">Centre.</param>
    public static float[] Uniform(int n, int seed, float scale = 1f, float offset = 0f)
    {
        var random = new Numerics.SeededRandom((ulong)seed * 0x9E3779B97F4A7C15UL + 17);
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = offset + (scale * random.NextUniform(-1f, 1f));
        }

        return values;
    }

    /// <summary><paramref name="n"/> copies of <paramref name="value"/> (NaN for outputs that must be written, never read).</summary>
    /// <param name="n">How many.</param>
    /// <param name="value">The value.</param>
    public static float[] Filled(int n, float value) => Enumerable.Repeat(value, n).ToArray();
}
