using System.Globalization;
using Acr.Compute;
using Acr.Tensors;

namespace Acr.Testing;

/// <summary>Random inputs and tolerance checks shared by the test projects.</summary>
public static class TestData
{
    /// <summary><paramref name="n"/> values uniform in <c>[offset − scale, offset + scale)</c> from a fixed seed.</summary>
    public static float[] Random(int n, int seed, float scale = 1f, float offset = 0f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = offset + (scale * ((random.NextSingle() * 2) - 1));
        }

        return values;
    }

    /// <summary>A tensor of <paramref name="backend"/> holding <paramref name="values"/>.</summary>
    public static Tensor Tensor(ComputeBackend backend, TensorShape shape, float[] values)
    {
        var t = backend.Allocate(shape);
        backend.Upload(values, t);
        return t;
    }

    /// <summary>A tensor of <paramref name="backend"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Filled(ComputeBackend backend, TensorShape shape, float value)
    {
        var t = backend.Allocate(shape);
        backend.Fill(t, value);
        return t;
    }

    /// <summary>Asserts <c>|actual − expected| ≤ tolerance·(1 + |expected|)</c> element-wise (NaN only matches NaN).</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                if (!(double.IsNaN(e) && double.IsNaN(a)))
                {
                    Assert.Fail($"{what}: element {i}: expected {Format(e)}, got {Format(a)}.");
                }

                continue;
            }

            if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                if (e != a)
                {
                    Assert.Fail($"{what}: element {i}: expected {Format(e)}, got {Format(a)}.");
                }

                continue;
            }

            var bound = tolerance * (1 + Math.Abs(e));
            if (Math.Abs(a - e) > bound)
            {
                Assert.Fail($"{what}: element {i} of {expected.Length}: expected {Format(e)}, got {Format(a)} (|diff| {Format(Math.Abs(a - e))} > {Format(bound)}).");
            }
        }
    }

    /// <summary>Asserts both arrays hold exactly the same bits.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} differs: {Format(expected[i])} vs {Format(actual[i])}.");
            }
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
