using Acr.Nn;
using Acr.Numerics;
using Acr.Tensors;

namespace Acr.Abstractions.Tests;

/// <summary>The image layers' initialisation and shape helpers.</summary>
public class ImageLayerTests
{
    /// <summary>Kaiming-uniform with a = √5 is U(±1/√fan_in); the draws fill that range (min and max within 2% of the bound) and no more.</summary>
    [Fact]
    public void Conv2d_is_initialised_as_PyTorch_does()
    {
        using var backend = new ReferenceBackend();
        using var conv = new Conv2d(backend, 16, 64, 3, 2, 1, new SeededRandom(1));
        var bound = 1 / Math.Sqrt(16 * 9);
        var w = conv.Weight.Value.ToArray();
        var b = conv.Bias!.Value.ToArray();
        Assert.Equal(new TensorShape(64, 16, 3, 3), conv.Weight.Value.Shape);
        Assert.All(w.Concat(b), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.InRange(w.Max(), 0.98 * bound, bound);
        Assert.InRange(w.Min(), -bound, -0.98 * bound);
        Assert.InRange(Math.Abs(w.Average()), 0, 0.05 * bound);
        Assert.Equal(new ImageShape(64, 14, 14), conv.Output(new ImageShape(16, 28, 28)));
        Assert.Throws<ArgumentException>(() => conv.Output(new ImageShape(3, 28, 28)));
    }

    [Fact]
    public void Image_shapes_parse_and_refuse_overflow_and_nonsense()
    {
        Assert.Equal(new ImageShape(1, 28, 28), ImageShape.Parse("1x28x28"));
        Assert.Equal(new ImageShape(3, 32, 16), ImageShape.Parse("3×32×16"));
        Assert.Throws<FormatException>(() => ImageShape.Parse("28x28"));
        Assert.Throws<FormatException>(() => ImageShape.Parse("1x-2x3"));
        Assert.Contains("more than the 2147483647", Assert.Throws<FormatException>(() => ImageShape.Parse("65536x65536x2")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ImageShape(0, 1, 1));
        Assert.Contains("use smaller batches", Assert.Throws<ArgumentException>(() => new ImageShape(64, 1024, 1024).Batch(64)).Message, StringComparison.Ordinal);
        Assert.Equal(new TensorShape(5, 1, 28, 28), new ImageShape(1, 28, 28).Batch(5));
        Assert.Equal((14, 14), new Window2d(3, 3, 2, 1).OutputSize(28, 28));
        Assert.Equal((4, 4), new Window2d(3, 3, 2, 1).OutputSize(7, 7));
        Assert.Equal((0, 0), new Window2d(5, 5, 1, 0).OutputSize(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Window2d(3, 3, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Window2d(3, 3, 1, Window2d.MaxStrideOrPadding + 1));
    }
}
