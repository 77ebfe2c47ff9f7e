namespace Acr.Compute;

/// <summary>Argument rules shared by the image ops (NCHW float32 batches).</summary>
internal static class ImageArgs
{
    /// <summary>The tensor is a float batch of images, rank 4 <c>[N, C, H, W]</c> with C, H, W ≥ 1; returns its image shape.</summary>
    public static ImageShape Images(OpValidator check, Tensor tensor, string name)
    {
        check.Floats(tensor, name);
        var s = tensor.Shape;
        if (s.Rank != 4 || s[1] < 1 || s[2] < 1 || s[3] < 1)
        {
            check.Fail($"{name} must be a batch of images, a rank-4 tensor [N, C, H, W] with C, H and W at least 1; got shape {s}.", name);
        }

        return new ImageShape(s[1], s[2], s[3]);
    }

    /// <summary>The tensor has exactly <paramref name="expected"/> as its shape.</summary>
    public static void Shape(OpValidator check, Tensor tensor, TensorShape expected, string name, string what)
    {
        if (tensor.Shape != expected)
        {
            check.Fail($"{name} must have shape {expected} ({what}); got {tensor.Shape}.", name);
        }
    }

    /// <summary>The window of the arguments, or the op's error naming what is out of range.</summary>
    public static Window2d Window(OpValidator check, int kernelHeight, int kernelWidth, int stride, int padding)
    {
        try
        {
            return new Window2d(kernelHeight, kernelWidth, stride, padding);
        }
        catch (ArgumentOutOfRangeException e)
        {
            check.OutOfRange(e.Message.Split(" (Parameter", 2)[0], e.ParamName ?? "window");
            throw;
        }
    }

    /// <summary>The output image of <paramref name="window"/> over <paramref name="input"/>, or the op's error when the kernel does not fit.</summary>
    public static ImageShape Output(OpValidator check, Window2d window, ImageShape input, int channels, string name)
    {
        var (h, w) = window.OutputSize(input.Height, input.Width);
        if (h < 1)
        {
            check.Fail($"a {window.KernelHeight}×{window.KernelWidth} window with padding {window.Padding} does not fit the {input.Height}×{input.Width} input; " +
                "use a smaller kernel, more padding or larger images.", name);
        }

        return new ImageShape(channels, h, w);
    }

    /// <summary>Relative tolerance of a float sum of <paramref name="terms"/> products against the double reference.</summary>
    public static double SumTolerance(long terms) => (terms + 5) * Math.Pow(2, -23) * 4;
}
