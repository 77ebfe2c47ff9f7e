namespace Acr.Nn;

/// <summary>Creates initialised tensors. Values are drawn on the host in a fixed order, so a seed fixes them on every backend.</summary>
public static class Initializers
{
    /// <summary>A tensor with every element uniform in [<paramref name="low"/>, <paramref name="high"/>), drawn in row-major order.</summary>
    /// <param name="backend">Where the tensor lives.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="low">Inclusive lower bound.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <param name="random">The randomness.</param>
    public static Tensor Uniform(ComputeBackend backend, TensorShape shape, float low, float high, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[shape.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextUniform(low, high);
        }

        return Upload(backend, shape, values);
    }

    /// <summary>A tensor with every element drawn from N(<paramref name="mean"/>, <paramref name="std"/>²), in row-major order.</summary>
    /// <param name="backend">Where the tensor lives.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation.</param>
    /// <param name="random">The randomness.</param>
    public static Tensor Normal(ComputeBackend backend, TensorShape shape, float mean, float std, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[shape.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(mean + (std * random.NextNormal()));
        }

        return Upload(backend, shape, values);
    }

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    /// <param name="backend">Where the tensor lives.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="value">The value.</param>
    public static Tensor Constant(ComputeBackend backend, TensorShape shape, float value)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var t = backend.Allocate(shape);
        backend.Fill(t, value);
        return t;
    }

    private static Tensor Upload(ComputeBackend backend, TensorShape shape, float[] values)
    {
        var t = backend.Allocate(shape);
        backend.Upload(values, t);
        return t;
    }
}
