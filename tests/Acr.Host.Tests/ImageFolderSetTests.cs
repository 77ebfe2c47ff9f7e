using Acr.Host.Data.Arrays;
using Acr.Nn;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Acr.Host.Tests;

/// <summary>A folder of images, one sub-folder per class, as a data set: layout, pixel order, channels, refusals, and the shape reaching the detector.</summary>
public class ImageFolderSetTests
{
    [Fact]
    public void Grey_images_become_one_channel_rows_in_folder_then_file_order_labelled_by_folder()
    {
        using var tmp = new TempDirectory();
        Grey(tmp, "dog/b.png", 4, 3, seed: 1);
        Grey(tmp, "cat/2.png", 4, 3, seed: 2);
        Grey(tmp, "cat/1.png", 4, 3, seed: 3);
        File.WriteAllText(tmp.File("cat/.DS_Store"), "hidden files are skipped");

        var d = ImageFolderSet.Load(tmp.Path);

        Assert.Equal(new Acr.Tensors.ImageShape(1, 3, 4), d.ImageShape);
        Assert.Equal(["cat", "cat", "dog"], d.Labels!);
        Assert.Equal(12, d.Columns);
        Assert.Equal(Pixels(4, 3, seed: 3), d.GetRow(0).ToArray()); // cat/1.png first: folders, then files, in ordinal order
        Assert.Equal(Pixels(4, 3, seed: 1), d.GetRow(2).ToArray());
        Assert.True(ImageFolderSet.IsImageFolder(tmp.Path));
    }

    [Fact]
    public void One_colour_image_makes_the_set_three_channels_laid_out_channel_by_channel()
    {
        using var tmp = new TempDirectory();
        Grey(tmp, "a/1.png", 2, 2, seed: 5);
        using (var colour = new Image<Rgb24>(2, 2))
        {
            colour[0, 0] = new Rgb24(255, 0, 0);
            colour[1, 0] = new Rgb24(0, 255, 0);
            colour[0, 1] = new Rgb24(0, 0, 255);
            colour[1, 1] = new Rgb24(51, 102, 153);
            Directory.CreateDirectory(tmp.File("b"));
            colour.SaveAsPng(tmp.File("b/1.png"));
        }

        var d = ImageFolderSet.Load(tmp.Path);

        Assert.Equal(new Acr.Tensors.ImageShape(3, 2, 2), d.ImageShape);
        var grey = Pixels(2, 2, seed: 5);
        Assert.Equal([.. grey, .. grey, .. grey], d.GetRow(0).ToArray()); // the grey image written before the colour one, as 3 equal channels
        Assert.Equal([1f, 0f, 0f, 0.2f, 0f, 1f, 0f, 0.4f, 0f, 0f, 1f, 0.6f], d.GetRow(1).ToArray(), new Close());
    }

    [Theory]
    [InlineData("sizes", "every image of a set must have the same size")]
    [InlineData("corrupt", "is not a readable image")]
    [InlineData("stray", "lies directly in")]
    [InlineData("not an image", "is not an image file")]
    [InlineData("empty", "has no images in its sub-folders")]
    public void A_bad_folder_is_refused_naming_the_file_and_the_fix(string kind, string message)
    {
        using var tmp = new TempDirectory();
        Grey(tmp, "a/1.png", 4, 4, seed: 1);
        switch (kind)
        {
            case "sizes":
                Grey(tmp, "b/1.png", 5, 4, seed: 1);
                break;
            case "corrupt":
                Directory.CreateDirectory(tmp.File("b"));
                File.WriteAllText(tmp.File("b/1.png"), "not a png");
                break;
            case "stray":
                Grey(tmp, "top.png", 4, 4, seed: 1);
                break;
            case "not an image":
                File.WriteAllText(tmp.File("a/notes.txt"), "x");
                break;
            default:
                File.Delete(tmp.File("a/1.png"));
                break;
        }

        var error = Assert.Throws<AcrDataException>(() => ImageFolderSet.Load(tmp.Path));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_convolutional_detector_takes_the_input_shape_from_the_images_and_the_model_file_records_it()
    {
        using var tmp = new TempDirectory();
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 12; i++)
            {
                Grey(tmp, $"c{c}/{i:00}.png", 8, 8, seed: (c * 100) + i);
            }
        }

        var data = ImageFolderSet.Load(tmp.Path);
        var runtime = AcrRuntime.Load();
        using var backend = runtime.CreateBackend("cpu");
        using var model = runtime.Train(data, new TrainingRequest
        {
            DetectorOptions = new Dictionary<string, string> { ["network"] = "conv", ["hidden"] = "4", ["layers"] = "2", ["embedding"] = "4" },
            Training = new MetaTrainingOptions { Iterations = 3, TaskSize = 8, TasksPerIteration = 2 },
        }, backend);
        Assert.Equal("1x8x8", model.Config.DetectorOptions["input-shape"]);

        var path = tmp.File("m.safetensors");
        model.Save(path);
        using var loaded = runtime.LoadModel(path, backend);
        Assert.Equal("1x8x8", loaded.Config.DetectorOptions["input-shape"]);
        Assert.Equal(data.Rows, loaded.Score(data, new ScoringRequest { BatchSize = 12 }).Scores.Count);
    }

    private static float[] Pixels(int width, int height, int seed) =>
        Enumerable.Range(0, width * height).Select(i => (byte)((i * 37) + (seed * 11)) * IdxImageSet.PixelScale).ToArray();

    private static void Grey(TempDirectory tmp, string relative, int width, int height, int seed)
    {
        var path = tmp.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new L8((byte)((((y * width) + x) * 37) + (seed * 11)));
            }
        }

        image.SaveAsPng(path);
    }

    private sealed class Close : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-6f;

        public int GetHashCode(float obj) => 0;
    }
}
