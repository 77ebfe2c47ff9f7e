using System.Buffers.Binary;
using System.IO.Compression;
using Acr.Host.Data;
using Acr.Host.Data.Arrays;

namespace Acr.Host.Tests;

public class IdxImageSetTests
{
    /// <summary>Writes a gzip IDX images file (n × 4 × 4 ubyte) and its labels file; class c has pixels near 60·c.</summary>
    private static (string Images, string Labels) Write(TempDirectory dir, int n, int classes, string prefix = "train")
    {
        var rng = new Random(1);
        var pixels = new byte[n * 16];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = (byte)(i % classes);
            for (int j = 0; j < 16; j++)
            {
                pixels[(i * 16) + j] = (byte)Math.Clamp((60 * labels[i]) + ((j % 4) * 10) + rng.Next(0, 20), 0, 255);
            }
        }

        string images = dir.File(prefix + "-images-idx3-ubyte.gz");
        string labelsPath = dir.File(prefix + "-labels-idx1-ubyte.gz");
        File.WriteAllBytes(images, Gzip(Header(0x08, [n, 4, 4]).Concat(pixels).ToArray()));
        File.WriteAllBytes(labelsPath, Gzip(Header(0x08, [n]).Concat(labels).ToArray()));
        return (images, labelsPath);
    }

    private static byte[] Header(byte type, int[] dims)
    {
        var h = new byte[4 + (4 * dims.Length)];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + (4 * i)), dims[i]);
        }

        return h;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        return ms.ToArray();
    }

    [Fact]
    public void Load_flattens_pixels_scales_by_1_over_255_and_labels_as_integers()
    {
        using var dir = new TempDirectory();
        var (images, labels) = Write(dir, 6, 3);
        TabularDataset d = IdxImageSet.Load(images, labels);
        Assert.Equal(6, d.Rows);
        Assert.Equal(16, d.Columns);
        Assert.Equal(new Acr.Tensors.ImageShape(1, 4, 4), d.ImageShape); // N×H×W images: one channel
        Assert.Equal(["0", "1", "2", "0", "1", "2"], d.Labels!);
        Assert.All(d.Features, v => Assert.InRange(v, 0f, 1f));
        NumericArray raw = IdxReader.Read(images);
        Assert.Equal(raw.Values[17] / 255f, d.Features[17], 6);
    }

    [Fact]
    public void Mismatched_or_swapped_files_are_refused()
    {
        using var dir = new TempDirectory();
        var (images, labels) = Write(dir, 6, 3);
        var (_, otherLabels) = Write(dir, 5, 3, "t10k");
        Assert.Contains("one label per image", Assert.Throws<AcrDataException>(() => IdxImageSet.Load(images, otherLabels)).Message, StringComparison.Ordinal);
        Assert.Contains("swap", Assert.Throws<AcrDataException>(() => IdxImageSet.Load(labels, images)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_finds_the_labels_sibling_and_reports_unfetched_names()
    {
        using var dir = new TempDirectory();
        var (images, labels) = Write(dir, 6, 3);
        Assert.True(IdxImageSet.TryResolve(images, null, dir.Path, out string i, out string l));
        Assert.Equal((images, labels), (i, l));
        Assert.False(IdxImageSet.TryResolve(dir.File("x.csv"), null, dir.Path, out _, out _));
        var e = Assert.Throws<AcrDataException>(() => IdxImageSet.TryResolve("fashion-mnist:test", null, dir.Path, out _, out _));
        Assert.Contains("acr fetch fashion-mnist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cli_evaluate_runs_end_to_end_on_an_idx_image_set()
    {
        using var dir = new TempDirectory();
        var (images, labels) = Write(dir, 240, 4);
        string outDir = dir.File("out");
        var r = CliHarness.Run("evaluate", "--data", images, "--labels", labels, "--out", outDir, "--seeds", "1",
            "--iterations", "5", "--tasks", "2", "--task-size", "32", "--contamination", "0.1", "-q");
        Assert.True(r.ExitCode == 0, r.Error);
        string metrics = File.ReadAllText(Path.Combine(outDir, "metrics.json"));
        Assert.Contains("\"features\": 16", metrics, StringComparison.Ordinal);

        var bad = CliHarness.Run("evaluate", "--data", dir.File("missing.csv"), "--out", dir.File("o2"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--label", bad.Error, StringComparison.Ordinal);
    }
}
