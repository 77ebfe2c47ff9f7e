using System.Globalization;
using Acr.Host.Data.Fetch;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// An IDX image set (an images file and a labels file) as a <see cref="TabularDataset"/> of
/// flattened pixels, so the existing detectors train on it. Pixels of <c>ubyte</c> images are
/// scaled by 1/255 to [0, 1]; other element types are kept as stored. Row <c>i</c>'s label is
/// the integer label <c>i</c> as text (e.g. "7").
/// </summary>
public static class IdxImageSet
{
    /// <summary>The factor applied to <c>ubyte</c> pixels.</summary>
    public const float PixelScale = 1f / 255f;

    private static readonly Dictionary<string, string> Prefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["train"] = "train",
        ["test"] = "t10k",
    };

    /// <summary>
    /// Resolves <c>--data</c>/<c>--labels</c> to an images and a labels file when they name IDX data:
    /// a fetched data set (<c>fashion-mnist</c>, <c>mnist</c>, with <c>:train</c> (default) or <c>:test</c>),
    /// an images file with <paramref name="labels"/>, or an <c>*images-idx3*</c> file whose
    /// <c>*labels-idx1*</c> sibling exists.
    /// </summary>
    /// <returns>False when <paramref name="data"/> is not IDX image data (e.g. a CSV file).</returns>
    /// <exception cref="AcrDataException">A named data set has not been fetched.</exception>
    public static bool TryResolve(string data, string? labels, string cacheDirectory, out string imagesPath, out string labelsPath)
    {
        ArgumentNullException.ThrowIfNull(data);
        string name = data;
        string split = "train";
        int colon = data.LastIndexOf(':');
        if (colon > 0 && Prefixes.ContainsKey(data[(colon + 1)..]))
        {
            name = data[..colon];
            split = data[(colon + 1)..].ToLowerInvariant();
        }

        var source = DataManifest.All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
        if (source is not null && !File.Exists(data) && source.Files.Any(f => f.FileName.Contains("-idx3-", StringComparison.Ordinal)))
        {
            string dir = DatasetFetcher.DatasetDirectory(cacheDirectory, source);
            string prefix = Prefixes[split];
            imagesPath = Path.Combine(dir, source.Files.Single(f => f.FileName.StartsWith(prefix + "-images", StringComparison.Ordinal)).FileName);
            labelsPath = Path.Combine(dir, source.Files.Single(f => f.FileName.StartsWith(prefix + "-labels", StringComparison.Ordinal)).FileName);
            if (!DatasetFetcher.IsPresent(cacheDirectory, source))
            {
                throw new AcrDataException($"Data set '{source.Name}' is not in the data cache '{cacheDirectory}'. Run 'acr fetch {source.Name}' first.");
            }

            return true;
        }

        imagesPath = data;
        if (labels is not null)
        {
            labelsPath = labels;
            return true;
        }

        string fileName = Path.GetFileName(data);
        if (fileName.Contains("images-idx3", StringComparison.Ordinal))
        {
            labelsPath = Path.Combine(Path.GetDirectoryName(data) ?? ".", fileName.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
            if (!File.Exists(labelsPath))
            {
                throw new AcrDataException($"'{data}' is an IDX images file but its labels file '{labelsPath}' does not exist. Pass it with --labels FILE.");
            }

            return true;
        }

        labelsPath = string.Empty;
        return false;
    }

    /// <summary>Loads images (shape N×H×W or N×C×H×W) and labels (shape N) into a table of N rows of C·H·W pixels.</summary>
    /// <exception cref="AcrDataException">A file is malformed, the shapes do not agree, or a label is not an integer.</exception>
    public static TabularDataset Load(string imagesPath, string labelsPath)
    {
        NumericArray images = IdxReader.Read(imagesPath);
        NumericArray labels = IdxReader.Read(labelsPath);
        if (images.Shape.Count is not (3 or 4))
        {
            throw new AcrDataException($"'{imagesPath}' has shape ({string.Join(", ", images.Shape)}); an images file has 3 (N, H, W) or 4 (N, C, H, W) dimensions. Did you swap --data and --labels?");
        }

        if (labels.Shape.Count != 1 || labels.Shape[0] != images.Shape[0])
        {
            throw new AcrDataException(
                $"'{labelsPath}' has shape ({string.Join(", ", labels.Shape)}) but '{imagesPath}' holds {images.Shape[0]} images; the labels file must have one label per image.");
        }

        int rows = images.Shape[0];
        int columns = rows == 0 ? images.Shape.Skip(1).Aggregate(1, (a, b) => a * b) : images.Values.Length / rows;
        if (IsUnsignedBytes(imagesPath))
        {
            float[] v = images.Values;
            for (int i = 0; i < v.Length; i++)
            {
                v[i] *= PixelScale;
            }
        }

        var names = new string[columns];
        for (int j = 0; j < columns; j++)
        {
            names[j] = "p" + j.ToString(CultureInfo.InvariantCulture);
        }

        var text = new string[rows];
        for (int i = 0; i < rows; i++)
        {
            float l = labels.Values[i];
            if (l != MathF.Floor(l))
            {
                throw new AcrDataException($"'{labelsPath}': label {i} is {l}, not an integer class.");
            }

            text[i] = ((long)l).ToString(CultureInfo.InvariantCulture);
        }

        var shape = images.Shape.Count == 4 ? new Acr.Tensors.ImageShape(images.Shape[1], images.Shape[2], images.Shape[3]) : new Acr.Tensors.ImageShape(1, images.Shape[1], images.Shape[2]);
        return new TabularDataset(images.Values, rows, columns, names, text, null, imagesPath) { ImageShape = shape };
    }

    private static bool IsUnsignedBytes(string path)
    {
        using Stream data = ArrayDecoder.OpenDecoded(path);
        Span<byte> magic = stackalloc byte[3];
        return data.ReadAtLeast(magic, 3, throwOnEndOfStream: false) == 3 && magic[2] == 0x08;
    }
}
