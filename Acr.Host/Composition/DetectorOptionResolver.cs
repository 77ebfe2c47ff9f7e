namespace Acr.Host.Composition;

/// <summary>Merges user-given detector options with a detector's defaults; unknown keys are refused.</summary>
public static class DetectorOptionResolver
{
    /// <summary>Every option of <paramref name="detector"/>: the user's value where given, else the default.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="user">User options (<c>--option key=value</c>).</param>
    /// <exception cref="AcrUsageException">A key the detector does not understand; the message lists the valid ones.</exception>
    public static Dictionary<string, string> Resolve(IDetector detector, IReadOnlyDictionary<string, string>? user)
    {
        ArgumentNullException.ThrowIfNull(detector);
        var resolved = detector.Options.ToDictionary(o => o.Name, o => o.DefaultValue, StringComparer.Ordinal);
        foreach (var (key, value) in user ?? new Dictionary<string, string>())
        {
            if (!resolved.ContainsKey(key))
            {
                throw new AcrUsageException($"Detector '{detector.Name}' has no option '{key}'. Its options: {string.Join(", ", detector.Options.Select(o => $"{o.Name} (default {o.DefaultValue})"))}.");
            }

            resolved[key] = value;
        }

        return resolved;
    }

    /// <summary>The option a detector declares to take each row's image shape (<c>CxHxW</c>); filled from image data when left empty.</summary>
    public const string InputShapeOption = "input-shape";

    /// <summary>
    /// As <see cref="Resolve(IDetector, IReadOnlyDictionary{string, string}?)"/>; and when the detector has an
    /// <see cref="InputShapeOption"/> option left empty and the data's rows are images, the option is set to the data's
    /// shape, so an image set needs no <c>--option input-shape=…</c> (and the model file records the shape).
    /// </summary>
    /// <param name="detector">The detector.</param>
    /// <param name="user">User options (<c>--option key=value</c>).</param>
    /// <param name="dataShape">The shape of each row's image (<see cref="TabularDataset.ImageShape"/>), or null for tabular data.</param>
    /// <exception cref="AcrUsageException">A key the detector does not understand; the message lists the valid ones.</exception>
    public static Dictionary<string, string> Resolve(IDetector detector, IReadOnlyDictionary<string, string>? user, Acr.Tensors.ImageShape? dataShape)
    {
        var resolved = Resolve(detector, user);
        if (dataShape is { } shape && resolved.TryGetValue(InputShapeOption, out var given) && string.IsNullOrWhiteSpace(given))
        {
            resolved[InputShapeOption] = string.Create(CultureInfo.InvariantCulture, $"{shape.Channels}x{shape.Height}x{shape.Width}");
        }

        return resolved;
    }

    /// <summary>Builds a model; an invalid option value is a usage error naming the option.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="spec">The resolved spec.</param>
    /// <param name="backend">The backend.</param>
    /// <exception cref="AcrUsageException">An option value the detector refuses.</exception>
    public static DetectorModel CreateModel(IDetector detector, DetectorModelSpec spec, Acr.Compute.ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(detector);
        try
        {
            return detector.CreateModel(spec, backend);
        }
        catch (ArgumentException e)
        {
            throw new AcrUsageException($"Detector '{detector.Name}': {e.UserMessage()} Set it with --option (its options: {string.Join(", ", detector.Options.Select(o => o.Name))}).", e);
        }
    }

    /// <summary>Parses <c>key=value</c> pairs.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <exception cref="AcrUsageException">A pair without '='.</exception>
    public static Dictionary<string, string> ParsePairs(IEnumerable<string>? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new AcrUsageException($"Option '{pair}' is not of the form key=value (e.g. --option hidden=64).");
            }

            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        return result;
    }
}
