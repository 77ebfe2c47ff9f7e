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

    private string Get(string name) =>
        Options.TryGetValue(name, out var text)
            ? text
            : throw new ArgumentException($"Option '{name}' is missing from the model spec.", nameof(name));
}
