using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Acr.Host.Data.Arrays;

/// <summary>
/// A folder of images with one sub-folder per class (<c>DIR/cat/001.png</c>, <c>DIR/dog/a.jpg</c>, …) as a
/// <see cref="TabularDataset"/> of flattened pixels, decoded with SixLabors.ImageSharp (PNG, JPEG, BMP, GIF, TIFF,
/// WebP). Every image must have the same width and height. Pixels are scaled by 1/255 to [0, 1] and stored channel by
/// channel (C×H×W); a set whose every pixel is grey (R = G = B, any alpha ignored) has 1 channel, any other 3 (RGB).
/// Row order is the class folders in ordinal order, then the files in ordinal order; a row's label is its folder's
/// name. The shape goes into <see cref="TabularDataset.ImageShape"/>, so image detectors need no <c>input-shape</c>.
/// </summary>
public static class ImageFolderSet
{
    /// <summary>The file extensions read (case-insensitive); other files are refused, hidden files (starting with '.') skipped.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"];

    /// <summary>Most values (rows × C·H·W) a set may hold: one float array.</summary>
    public const long MaxValues = 1L << 30;

    /// <summary>Whether <paramref name="path"/> is a folder with at least one sub-folder holding an image.</summary>
    public static bool IsImageFolder(string path) =>
        Directory.Exists(path) && Directory.EnumerateDirectories(path).Where(d => !IsHidden(d)).Any(d => Directory.EnumerateFiles(d).Any(IsImage));

    /// <summary>Reads the folder.</summary>
    /// <exception cref="AcrDataException">The layout is wrong, a file does not decode, the sizes differ, or the set is too large.</exception>
    public static TabularDataset Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new AcrDataException($"'{folder}' is not a folder.");
        }

        var stray = Directory.EnumerateFiles(folder).Where(f => !IsHidden(f) && IsImage(f)).Take(1).ToArray();
        if (stray.Length > 0)
        {
            throw new AcrDataException($"'{stray[0]}' lies directly in '{folder}'; an image folder holds one sub-folder per class (e.g. {folder}/cat/{Path.GetFileName(stray[0])}), and each image's class is its sub-folder's name.");
        }

        var files = new List<(string Path, string Label)>();
        foreach (var dir in Directory.EnumerateDirectories(folder).Where(d => !IsHidden(d)).Order(StringComparer.Ordinal))
        {
            var label = Path.GetFileName(dir);
            foreach (var file in Directory.EnumerateFiles(dir).Where(f => !IsHidden(f)).Order(StringComparer.Ordinal))
            {
                if (!IsImage(file))
                {
                    throw new AcrDataException($"'{file}' is not an image file ({string.Join(", ", Extensions)}); an image folder holds only images, one sub-folder per class. Move it out.");
                }

                files.Add((file, label));
            }
        }

        if (files.Count == 0)
        {
            throw new AcrDataException($"'{folder}' has no images in its sub-folders; put each class's images in a sub-folder named after the class.");
        }

        // The size from the headers alone, before decoding anything, so a wrong file or an oversized set is refused up front.
        var (width, height) = Size(files[0].Path);
        foreach (var (path, _) in files)
        {
            var (w, h) = Size(path);
            if ((w, h) != (width, height))
            {
                throw new AcrDataException($"'{path}' is {w}×{h} pixels but '{files[0].Path}' is {width}×{height}; every image of a set must have the same size (resize them first).");
            }
        }

        var pixels = (long)width * height;
        if (files.Count * pixels * 3 > MaxValues)
        {
            throw new AcrDataException($"'{folder}' holds {files.Count} images of {width}×{height}: {files.Count * pixels * 3} values in colour, more than the {MaxValues} one data set may hold. Use fewer or smaller images.");
        }

        // Decoded as RGB; written as one grey channel until the first image that is not grey, then as three.
        var channels = 1;
        var values = new float[files.Count * pixels];
        var rgb = new Rgb24[pixels]; // one image's pixels, reused: every image has this size
        for (var i = 0; i < files.Count; i++)
        {
            using (var image = Decode(files[i].Path))
            {
                image.CopyPixelDataTo(rgb);
            }

            if (channels == 1 && !IsGrey(rgb))
            {
                values = ToColour(values, i, (int)pixels, files.Count);
                channels = 3;
            }

            Write(rgb, values.AsSpan(checked((int)(i * pixels * channels)), (int)(pixels * channels)), channels);
        }

        var columns = checked((int)(pixels * channels));
        var names = Enumerable.Range(0, columns).Select(j => "p" + j.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new TabularDataset(values, files.Count, columns, names, files.Select(f => f.Label).ToArray(), null, folder)
        {
            ImageShape = new Acr.Tensors.ImageShape(channels, height, width),
        };
    }

    private static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private static (int Width, int Height) Size(string path)
    {
        try
        {
            var info = Image.Identify(path) ?? throw new AcrDataException($"'{path}' is not a readable image (ImageSharp reads PNG, JPEG, BMP, GIF, TIFF and WebP); fix or remove it.");
            return (info.Width, info.Height);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new AcrDataException($"'{path}' is not a readable image ({e.Message.TrimEnd('.')}); fix or remove it.", e);
        }
    }

    private static Image<Rgb24> Decode(string path)
    {
        try
        {
            return Image.Load<Rgb24>(path);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new AcrDataException($"'{path}' does not decode ({e.Message.TrimEnd('.')}); fix or remove it.", e);
        }
    }

    private static bool IsGrey(ReadOnlySpan<Rgb24> pixels)
    {
        foreach (var p in pixels)
        {
            if (p.R != p.G || p.G != p.B)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes one image's pixels (row-major RGB) channel by channel (CHW), scaled to [0, 1]; one channel takes R (= G = B).</summary>
    private static void Write(ReadOnlySpan<Rgb24> pixels, Span<float> target, int channels)
    {
        var plane = pixels.Length;
        for (var at = 0; at < plane; at++)
        {
            target[at] = pixels[at].R * IdxImageSet.PixelScale;
            if (channels == 3)
            {
                target[plane + at] = pixels[at].G * IdxImageSet.PixelScale;
                target[(2 * plane) + at] = pixels[at].B * IdxImageSet.PixelScale;
            }
        }
    }

    /// <summary>The grey images written so far as three equal channels, in a buffer for <paramref name="total"/> colour images.</summary>
    private static float[] ToColour(float[] grey, int done, int plane, int total)
    {
        var colour = new float[(long)total * plane * 3];
        for (var i = 0; i < done; i++)
        {
            var source = grey.AsSpan(i * plane, plane);
            for (var c = 0; c < 3; c++)
            {
                source.CopyTo(colour.AsSpan(((i * 3) + c) * plane, plane));
            }
        }

        return colour;
    }
}
