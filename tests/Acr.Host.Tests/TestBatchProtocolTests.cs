using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Acr.Host.Tests;

/// <summary>
/// The image protocol's test batches (<c>--test-batch-normals N</c>): each test class is cut into batches of N normals,
/// each with its own π share of anomalies; and <c>extremes.png</c>, the lowest- and highest-scored test images per class.
/// </summary>
public class TestBatchProtocolTests
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet", "--recipe", "paper"];

    [Fact]
    public void Test_classes_are_cut_into_batches_of_N_normals_each_with_its_own_anomalies_every_normal_once()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 105, features: 5)); // a, b train; c, d test, 105 rows each
        var r = CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--seeds", "1", "--out", tmp.File("o"), "--test-batch-normals", "20", "--contamination", "0.1,0.2", .. Fast]);
        Assert.True(r.ExitCode == 0, r.Error + r.Output);

        using var metrics = JsonDocument.Parse(File.ReadAllText(tmp.File("o/metrics.json")));
        Assert.Equal(20, metrics.RootElement.GetProperty("config").GetProperty("testBatchNormals").GetInt32());
        var lines = File.ReadAllLines(tmp.File("o/scores.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        foreach (var pi in (string[])["0.1", "0.2"])
        {
            var rows = lines.Where(f => f[6] == pi).ToArray();
            var batches = rows.GroupBy(f => f[1]).ToDictionary(g => g.Key, g => g.ToArray());
            Assert.Equal(["c:0", "c:1", "c:2", "c:3", "c:4", "d:0", "d:1", "d:2", "d:3", "d:4"], batches.Keys.Order(StringComparer.Ordinal)); // ⌊105/20⌋ = 5 per class
            var anomalies = pi == "0.1" ? 2 : 5; // ⌊20·π/(1−π)⌋
            Assert.All(batches.Values, b =>
            {
                Assert.Equal(20, b.Count(f => f[4] == "0"));
                Assert.Equal(anomalies, b.Count(f => f[4] == "1"));
                Assert.All(b.Where(f => f[4] == "1"), f => Assert.NotEqual(b[0][1][..1], f[3])); // anomalies come from the other test class
            });
            foreach (var cls in (string[])["c", "d"])
            {
                var normals = rows.Where(f => f[1].StartsWith(cls + ":", StringComparison.Ordinal) && f[4] == "0").Select(f => f[0]).ToArray();
                Assert.Equal(100, normals.Length);
                Assert.Equal(100, normals.Distinct().Count()); // no normal twice; 5 of the 105 left out this draw
            }
        }

        Assert.False(File.Exists(tmp.File("o/extremes.png"))); // tabular data: no picture
    }

    [Fact]
    public void A_test_batch_of_fewer_than_2_normals_is_refused()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["evaluate", "--data", data, "--label", "cls", "--out", tmp.File("o"), "--test-batch-normals", "1", .. Fast]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--test-batch-normals must be between 2 and", r.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp.File("o")));
    }

    [Fact]
    public void Image_data_gets_a_picture_of_each_test_class_s_lowest_and_highest_scored_images()
    {
        using var tmp = new TempDirectory();
        WriteImages(tmp, c => $"k{c}", perClass: 20, (c, i, p) => (p * (c + 3) * 7) + (i * 13));

        var r = CliHarness.Run(["evaluate", "--data", tmp.File("img"), "--seeds", "1", "--out", tmp.File("o"), "--option", "network=conv", "--option", "hidden=4",
            "--option", "layers=2", "--option", "embedding=4", "--test-batch-normals", "10", .. Fast]);
        Assert.True(r.ExitCode == 0, r.Error + r.Output);
        Assert.Contains("extremes.png", r.Output, StringComparison.Ordinal);

        using var picture = Image.Load<Rgb24>(tmp.File("o/extremes.png"));
        var scale = 56 / 6; // tiles are scaled up to about 56 pixels
        var tile = (6 * scale) + 4;
        Assert.Equal(4 + (2 * (tile + 4)), picture.Height); // 2 test classes (k2, k3), one row each
        Assert.Equal((2 * 8 * (tile + 4)) + 12 + 4, picture.Width); // 8 lowest, a divider, 8 highest
        var corner = picture[4, 4]; // the first tile's border: green (a normal) or red (an anomaly)
        Assert.True(corner.Equals(new Rgb24(0, 150, 0)) || corner.Equals(new Rgb24(220, 0, 0)), $"border colour {corner}");
    }

    [Fact]
    public void The_image_protocol_sets_its_tasks_test_batches_and_network_unless_given_and_refuses_tabular_data()
    {
        using var tmp = new TempDirectory();
        WriteImages(tmp, c => c.ToString(CultureInfo.InvariantCulture), perClass: 40, (c, i, p) => (p * (c + 2) * 5) + (i * 7));

        var r = CliHarness.Run("evaluate", "--protocol", "image", "--data", tmp.File("img"), "--seeds", "1", "--out", tmp.File("o"), "--iterations", "2", "--tasks", "2",
            "--option", "hidden=8", "--test-batch-normals", "20", "--quiet", "--recipe", "paper");
        Assert.True(r.ExitCode == 0, r.Error + r.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(tmp.File("o/metrics.json")));
        var config = metrics.RootElement.GetProperty("config");
        Assert.Equal(60, config.GetProperty("taskSize").GetInt32());
        Assert.Equal(0.5, config.GetProperty("anomalyRatio").GetDouble());
        Assert.Equal(20, config.GetProperty("testBatchNormals").GetInt32()); // given: kept
        var options = config.GetProperty("detectorOptions");
        Assert.Equal("conv", options.GetProperty("network").GetString());
        Assert.Equal("4", options.GetProperty("layers").GetString());
        Assert.Equal("8", options.GetProperty("hidden").GetString()); // given: kept
        Assert.Equal("1x6x6", options.GetProperty("input-shape").GetString());

        var tabular = tmp.Write("d.csv", SyntheticCsv.Make());
        r = CliHarness.Run("evaluate", "--protocol", "image", "--data", tabular, "--label", "cls", "--out", tmp.File("t"), "--iterations", "2", "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--protocol image needs image data", r.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp.File("t")));
    }

    /// <summary>4 classes of 6×6 grey PNGs under img/NAME/, pixel p of image i of class c set to <paramref name="pixel"/> (mod 256).</summary>
    private static void WriteImages(TempDirectory tmp, Func<int, string> className, int perClass, Func<int, int, int, int> pixel)
    {
        for (var c = 0; c < 4; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var path = tmp.File($"img/{className(c)}/{i:00}.png");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var image = new Image<L8>(6, 6);
                for (var p = 0; p < 36; p++)
                {
                    image[p % 6, p / 6] = new L8((byte)pixel(c, i, p));
                }

                image.SaveAsPng(path);
            }
        }
    }
}
