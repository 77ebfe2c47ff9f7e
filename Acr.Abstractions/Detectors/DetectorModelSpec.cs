using System.Globalization;

namespace Acr.Detectors;

/// <summary>Everything that fixes a detector model's architecture and initial weights.</summary>
public sealed class DetectorModelSpec
{
    /// <summary>Creates a spec.</summary>
    /// <param name="inputFeatures">Number of input features per row.</param>
    /// <param name="options">Resolved hyperparameters (every option of the detector, as invariant text).</param>
    /// <param name="seed">Initialisation seed.</param>
    public DetectorModelSpec(int inputFeatures, IReadOnlyDictionary<string, string> options, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputFeatures);
        ArgumentNullException.ThrowIfNull(options);
        InputFeatures = inputFeatures;
        Options = new Dictionary<string, string>(options, StringComparer.Ordinal);
        Seed = seed;
    }

    /// <summary>Number of input features per row.</summary>
    public int InputFeatures { get; }

    /// <summary>Resolved hyperparameters.</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>Initialisation seed.</summary>
    public ulong Seed { get; }

    /// <summary>Reads a positive integer option.</summary>
    /// <param name="name">Option key.</param>
    /// <exception cref="ArgumentException">Missing, not an integer, or not positive.</exception>
    public int GetPositiveInt32(string name)
    {
        var text = Get(name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new ArgumentException($"Option '{name}' must be a positive integer; got '{text}'.", nameof(name));
        }

        return value;
    }

    /// <summary>Reads a finite, positive float option.</summary>
    /// <param name="name">Option key.</param>
    /// <exception cref="ArgumentException">Missing, not a number, or not finite and positive.</exception>
    public float GetPositiveSingle(string name)
    {
        var text = Get(name);
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value) || value <= 0)
        {
            throw new ArgumentException($"Option '{name}' must be a finite positive number; got '{text}'.", nameof(name));
        }

        return value;
    }

    /// <summary>
    /// Reads an image-shape option (<c>CxHxW</c>, e.g. <c>1x28x28</c>: how each row's <see cref="InputFeatures"/> values
    /// are laid out as one image). The host fills an empty <c>input-shape</c> option from image data.
    /// </summary>
    /// <param name="name">Option key.</param>
    /// <exception cref="ArgumentException">Missing or empty, not <c>CxHxW</c>, or not C·H·W = <see cref="InputFeatures"/> values.</exception>
    public Acr.Tensors.ImageShape GetImageShape(string name)
    {
        var text = Options.TryGetValue(name, out var given) ? given : string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"This network needs the image shape of each row: pass --option {name}=CxHxW (e.g. 1x28x28); the data has {InputFeatures} features per row.", nameof(name));
        }

        Acr.Tensors.ImageShape image;
        try
        {
            image = Acr.Tensors.ImageShape.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"Option '{name}': {e.Message}", nameof(name), e);
        }

        return image.Length == InputFeatures
            ? image
            : throw new ArgumentException($"Option '{name}' is {image} = {image.Length} values per row, but the data has {InputFeatures} features per row; give the data's image shape.", nameof(name));
    }

    private string Get(string name) =>
        Options.TryGetValue(name, out var text)
            ? text
            : throw new ArgumentException($"Option '{name}' is missing from the model spec.", nameof(name));
}
