using Acr.Host.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Acr.Host.Reports;

/// <summary>
/// <c>extremes.png</c> for image data: one row per test class; on the left its <see cref="PerSide"/> lowest-scored test
/// images (most normal by ACR), on the right its <see cref="PerSide"/> highest-scored (most anomalous), each with a
/// border that says what it really is: green a normal image of the class, red an anomaly (an image of another class).
/// From the first seed's test batches at the largest contamination π, where most anomalies are present. A look at it
/// tells whether the detector flags the anomalies or something else (stroke width, brightness).
/// </summary>
public static class ExtremeImages
{
    /// <summary>The file name in the output folder.</summary>
    public const string FileName = "extremes.png";

    /// <summary>Images shown on each side of a row.</summary>
    public const int PerSide = 8;

    private static readonly Rgb24 Normal = new(0, 150, 0);
    private static readonly Rgb24 Anomaly = new(220, 0, 0);
    private static readonly Rgb24 Background = new(255, 255, 255);
    private static readonly Rgb24 Divider = new(150, 150, 150);

    /// <summary>Writes the picture for the scores of the first seed at the largest π.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="scores">Every score row of the evaluation.</param>
    /// <param name="data">The images (raw pixels, scaled to [0, 1]) with their shape.</param>
    /// <param name="testClasses">The test classes, one row each, in this order.</param>
    /// <exception cref="ArgumentException">The data has no image shape.</exception>
    public static void Write(string path, IReadOnlyList<ScoreRow> scores, TabularDataset data, IReadOnlyList<string> testClasses)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(testClasses);
        var shape = data.ImageShape ?? throw new ArgumentException("The data are not images.", nameof(data));
        var seed = scores.Count == 0 ? 0UL : scores[0].Seed;
        var pi = scores.Count == 0 ? 0 : scores.Max(s => s.Contamination);
        var scale = Math.Max(1, 56 / Math.Max(shape.Height, shape.Width));
        const int border = 2, gap = 4, divider = 12;
        var tileW = (shape.Width * scale) + (2 * border);
        var tileH = (shape.Height * scale) + (2 * border);
        var width = (2 * PerSide * (tileW + gap)) + divider + gap;
        var height = Math.Max(1, testClasses.Count) * (tileH + gap) + gap;
        using var image = new Image<Rgb24>(width, height, Background);
        for (var c = 0; c < testClasses.Count; c++)
        {
            var rows = scores.Where(s => s.Seed == seed && s.Contamination == pi && s.TestClass == testClasses[c]).OrderBy(s => s.Acr).ToArray();
            var lowest = rows.Take(PerSide).ToArray();
            var highest = rows.Reverse().Take(PerSide).ToArray();
            var y = gap + (c * (tileH + gap));
            for (var i = 0; i < lowest.Length; i++)
            {
                Tile(image, data, shape, lowest[i], gap + (i * (tileW + gap)), y, scale, border);
            }

            var right = gap + (PerSide * (tileW + gap)) + divider;
            for (var i = 0; i < highest.Length; i++)
            {
                Tile(image, data, shape, highest[i], right + (i * (tileW + gap)), y, scale, border);
            }

            for (var dy = 0; dy < tileH; dy++)
            {
                image[right - (divider / 2) - 1, y + dy] = Divider;
            }
        }

        image.SaveAsPng(path);
    }

    private static void Tile(Image<Rgb24> image, TabularDataset data, Acr.Tensors.ImageShape shape, ScoreRow row, int x0, int y0, int scale, int border)
    {
        var frame = row.IsAnomaly ? Anomaly : Normal;
        var w = (shape.Width * scale) + (2 * border);
        var h = (shape.Height * scale) + (2 * border);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (x < border || y < border || x >= w - border || y >= h - border)
                {
                    image[x0 + x, y0 + y] = frame;
                }
            }
        }

        var pixels = data.GetRow(row.Row);
        var plane = shape.Height * shape.Width;
        for (var py = 0; py < shape.Height; py++)
        {
            for (var px = 0; px < shape.Width; px++)
            {
                var at = (py * shape.Width) + px;
                var colour = shape.Channels >= 3
                    ? new Rgb24(Byte(pixels[at]), Byte(pixels[plane + at]), Byte(pixels[(2 * plane) + at]))
                    : new Rgb24(Byte(pixels[at]), Byte(pixels[at]), Byte(pixels[at]));
                for (var sy = 0; sy < scale; sy++)
                {
                    for (var sx = 0; sx < scale; sx++)
                    {
                        image[x0 + border + (px * scale) + sx, y0 + border + (py * scale) + sy] = colour;
                    }
                }
            }
        }
    }

    private static byte Byte(float v) => (byte)Math.Clamp(MathF.Round(v * 255f), 0, 255);
}
