using System.Globalization;

namespace Acr.Tensors;

/// <summary>
/// The shape of one image, channels × height × width (the last three dimensions of an NCHW tensor, width fastest).
/// Every dimension is at least 1 and the image holds at most <see cref="int.MaxValue"/> elements; a batch of images is
/// the rank-4 tensor shape <see cref="Batch"/> gives.
/// </summary>
public readonly record struct ImageShape
{
    /// <summary>Creates the shape.</summary>
    /// <param name="channels">Channels C, at least 1.</param>
    /// <param name="height">Height H, at least 1.</param>
    /// <param name="width">Width W, at least 1.</param>
    /// <exception cref="ArgumentException">A dimension is below 1, or C·H·W exceeds <see cref="int.MaxValue"/>.</exception>
    public ImageShape(int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
        {
            throw new ArgumentException($"An image shape needs channels, height and width of at least 1; got {channels}×{height}×{width}.", nameof(channels));
        }

        var length = (long)channels * height * width;
        if (length > int.MaxValue)
        {
            throw new ArgumentException($"An image of {channels}×{height}×{width} holds {length} elements, more than the {int.MaxValue} a tensor can hold.", nameof(channels));
        }

        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Channels C.</summary>
    public int Channels { get; }

    /// <summary>Height H.</summary>
    public int Height { get; }

    /// <summary>Width W.</summary>
    public int Width { get; }

    /// <summary>Pixels per channel, H·W.</summary>
    public int Pixels => Height * Width;

    /// <summary>Elements per image, C·H·W.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>The rank-4 shape <c>[images, C, H, W]</c> of a batch.</summary>
    /// <param name="images">Images in the batch, at least 0.</param>
    /// <exception cref="ArgumentException">The batch would hold more than <see cref="int.MaxValue"/> elements, or <paramref name="images"/> is negative.</exception>
    public TensorShape Batch(int images)
    {
        if (images < 0)
        {
            throw new ArgumentException($"A batch has at least 0 images; got {images}.", nameof(images));
        }

        var length = (long)images * Length;
        return length <= int.MaxValue
            ? new TensorShape(images, Channels, Height, Width)
            : throw new ArgumentException($"A batch of {images} images of {this} holds {length} elements, more than the {int.MaxValue} a tensor can hold; use smaller batches.", nameof(images));
    }

    /// <summary>The image shape of a rank-4 NCHW tensor shape.</summary>
    /// <param name="shape">A shape <c>[N, C, H, W]</c> with C, H, W ≥ 1.</param>
    /// <exception cref="ArgumentException">The shape is not rank 4 or has an empty image dimension.</exception>
    public static ImageShape Of(TensorShape shape)
    {
        if (shape.Rank != 4)
        {
            throw new ArgumentException($"An image batch is a rank-4 tensor [N, C, H, W]; got shape {shape}.", nameof(shape));
        }

        return new ImageShape(shape[1], shape[2], shape[3]);
    }

    /// <summary>
    /// Parses <c>C×H×W</c> (or <c>CxHxW</c>), e.g. <c>1x28x28</c>.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <exception cref="FormatException">The text is not three positive integers separated by x or ×, or the shape is too large.</exception>
    public static ImageShape Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(['x', 'X', '×'], StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"'{text}' is not an image shape; write channels x height x width, e.g. 1x28x28.");
        }

        try
        {
            return new ImageShape(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"'{text}': {e.Message}", e);
        }
    }

    /// <summary>The shape as <c>C×H×W</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Channels}×{Height}×{Width}");
}

/// <summary>
/// A sliding window over an image (of a convolution or a pooling): kernel height × width, one stride and one zero
/// padding for both axes. Output size per axis: <c>(in + 2·padding − kernel) / stride + 1</c> (floor), at least 1.
/// </summary>
public readonly record struct Window2d
{
    /// <summary>The largest stride or padding accepted (far beyond any real network; keeps the index arithmetic in range).</summary>
    public const int MaxStrideOrPadding = 4096;

    /// <summary>Creates the window.</summary>
    /// <param name="kernelHeight">Kernel height, at least 1.</param>
    /// <param name="kernelWidth">Kernel width, at least 1.</param>
    /// <param name="stride">Stride, 1 to <see cref="MaxStrideOrPadding"/>.</param>
    /// <param name="padding">Zero padding on every side, 0 to <see cref="MaxStrideOrPadding"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public Window2d(int kernelHeight, int kernelWidth, int stride, int padding)
    {
        if (kernelHeight < 1 || kernelWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelHeight), $"A window's kernel is at least 1×1; got {kernelHeight}×{kernelWidth}.");
        }

        if (stride < 1 || stride > MaxStrideOrPadding)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), $"A window's stride is 1 to {MaxStrideOrPadding}; got {stride}.");
        }

        if (padding < 0 || padding > MaxStrideOrPadding)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), $"A window's padding is 0 to {MaxStrideOrPadding}; got {padding}.");
        }

        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Stride on both axes.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; }

    /// <summary>Output height and width over an input of <paramref name="height"/> × <paramref name="width"/>, or (0, 0) when the kernel does not fit the padded input.</summary>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    public (int Height, int Width) OutputSize(int height, int width)
    {
        long h = (long)height + (2L * Padding) - KernelHeight, w = (long)width + (2L * Padding) - KernelWidth;
        return h < 0 || w < 0 ? (0, 0) : ((int)(h / Stride) + 1, (int)(w / Stride) + 1);
    }

    /// <summary>The output image shape over <paramref name="input"/> with <paramref name="channels"/> output channels.</summary>
    /// <param name="input">The input image.</param>
    /// <param name="channels">Output channels.</param>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input, or the output is too large.</exception>
    public ImageShape Output(ImageShape input, int channels)
    {
        var (h, w) = OutputSize(input.Height, input.Width);
        return h < 1
            ? throw new ArgumentException($"A {KernelHeight}×{KernelWidth} window with padding {Padding} does not fit an input of {input.Height}×{input.Width}; use a smaller kernel, more padding or larger images.", nameof(input))
            : new ImageShape(channels, h, w);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{KernelHeight}×{KernelWidth} stride {Stride} padding {Padding}");
}
