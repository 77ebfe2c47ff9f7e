using Acr.Host.Models;

namespace Acr.Host.Tests;

/// <summary>
/// CSV as people write it: text columns one-hot encoded on request with the categories of the training rows, Latin-1
/// decoded on request, and columns matched to a model by name (refusing ambiguous names) or, headerless, by position.
/// </summary>
public sealed class CsvCategoricalTests : IDisposable
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static TabularDataset ReadText(string csv, CsvReadOptions options) =>
        CsvDatasetReader.ReadFromStream(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "t.csv", options);

    [Fact]
    public void A_categorical_column_becomes_one_zero_one_feature_per_sorted_category_in_its_place()
    {
        var data = ReadText("y,a,color,b\nk,1,red,10\nk,2,blue,20\nm,3,green,30\nm,4,red,40\n",
            new CsvReadOptions { LabelColumn = "y", Categorical = ["color"] });
        Assert.Equal(["a", "color=blue", "color=green", "color=red", "b"], data.FeatureNames);
        Assert.Equal(5, data.Columns);
        float[] expected =
        [
            1, 0, 0, 1, 10,
            2, 1, 0, 0, 20,
            3, 0, 1, 0, 30,
            4, 0, 0, 1, 40,
        ];
        Assert.Equal(expected, data.Features);
        var c = Assert.Single(data.Categorical);
        Assert.Equal(("color", 1), (c.Column, c.FeatureIndex));
        Assert.Equal(["blue", "green", "red"], c.Categories);
    }

    [Fact]
    public void Categories_are_learnt_from_the_training_distributions_rows_only()
    {
        var warnings = new List<string>();
        var data = ReadText("y,color\na,red\na,blue\nb,red\nc,green\nc,red\n", new CsvReadOptions
        {
            LabelColumn = "y",
            Categorical = ["color"],
            CategoryDistributions = all => [.. all.Take(2)], // a and b train, c does not
            Warn = warnings.Add,
        });
        Assert.Equal(["color=blue", "color=red"], data.FeatureNames);
        Assert.Equal([0f, 1, 1, 0, 0, 1, 0, 0, 0, 1], data.Features); // c's green is no category: all zeros
        var w = Assert.Single(warnings);
        Assert.Contains("1 row holds 1 value that does not occur in the training rows (first 'green', row 4)", w, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_categories_encode_an_unseen_value_as_all_zeros_and_warn_with_the_count()
    {
        var warnings = new List<string>();
        var known = new CategoricalColumn("color", 1, ["blue", "red"]);
        var data = ReadText("color,a\nred,1\npurple,2\nblue,3\npurple,4\n,5\n", new CsvReadOptions { KnownCategories = [known], Warn = warnings.Add });
        Assert.Equal(["color=blue", "color=red", "a"], data.FeatureNames);
        Assert.Equal([0f, 1, 1, 0, 0, 2, 1, 0, 3, 0, 0, 4, 0, 0, 5], data.Features);
        var w = Assert.Single(warnings);
        Assert.Contains("2 rows hold 1 value that the model did not see in training (first 'purple', row 2)", w, StringComparison.Ordinal);
    }

    [Fact]
    public void Known_categories_are_found_by_position_in_a_headerless_file()
    {
        var known = new CategoricalColumn("color", 1, ["blue", "red"]);
        var data = ReadText("k,1,red\nm,2,blue\n", new CsvReadOptions { LabelColumn = "0", HasHeader = false, KnownCategories = [known] });
        Assert.Equal([1f, 0, 1, 2, 1, 0], data.Features);
        Assert.False(data.HasHeader);
    }

    [Fact]
    public void Auto_encodes_the_columns_whose_first_row_is_text_but_not_the_label()
    {
        var data = ReadText("y,a,shape,size\nk,1,round,s\nm,2,square,l\n", new CsvReadOptions { LabelColumn = "y", CategoricalAuto = true });
        Assert.Equal(["a", "shape=round", "shape=square", "size=l", "size=s"], data.FeatureNames);
        Assert.Equal(2, data.Categorical.Count);
    }

    [Fact]
    public void A_column_with_too_many_distinct_values_is_refused_as_an_identifier()
    {
        var csv = new StringBuilder("id,a\n");
        for (var i = 0; i <= CategoricalColumn.MaxCategories; i++)
        {
            csv.Append("user").Append(i).Append(",1\n");
        }

        var e = Assert.Throws<AcrDataException>(() => ReadText(csv.ToString(), new CsvReadOptions { Categorical = ["id"] }));
        Assert.Contains($"more than {CategoricalColumn.MaxCategories} distinct values", e.Message, StringComparison.Ordinal);
        Assert.Contains("--drop it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_label_cannot_also_be_categorical()
    {
        var e = Assert.Throws<AcrDataException>(() => ReadText("y,a\nk,1\n", new CsvReadOptions { LabelColumn = "y", Categorical = ["y"] }));
        Assert.Contains("is the label column; it cannot also be --categorical", e.Message, StringComparison.Ordinal);
    }

    private string CategoricalCsv(string name, string[] colors)
    {
        var lines = SyntheticCsv.Make(classes: 4, rowsPerClass: 60, features: 3).TrimEnd().Split('\n');
        var sb = new StringBuilder(lines[0].TrimEnd('\r')).Append(",color\n");
        for (var i = 1; i < lines.Length; i++)
        {
            sb.Append(lines[i].TrimEnd('\r')).Append(',').Append(colors[i % colors.Length]).Append('\n');
        }

        return _dir.Write(name, sb.ToString());
    }

    [Fact]
    public void Train_saves_the_categories_in_the_model_and_score_encodes_with_them()
    {
        var train = CategoricalCsv("train.csv", ["red", "green", "blue"]);
        var model = _dir.File("m.safetensors");
        var t = CliHarness.Run(["train", "--data", train, "--label", "cls", "--categorical", "color", "--out", model, .. Fast]);
        Assert.True(t.ExitCode == 0, t.Error);
        Assert.Contains("6 features", t.Output, StringComparison.Ordinal);
        var config = SafeTensorsFile.Read(model).Metadata[ModelStore.ConfigKey];
        Assert.Contains("\"categorical\":[{\"column\":\"color\",\"featureIndex\":3,\"categories\":[\"blue\",\"green\",\"red\"]}]", config, StringComparison.Ordinal);

        var score = CategoricalCsv("score.csv", ["red", "purple"]);
        var s = CliHarness.Run("score", "--model", model, "--data", score, "--label", "cls", "--out", _dir.File("s.csv"));
        Assert.True(s.ExitCode == 0, s.Error);
        Assert.Contains($"warning: '{score}': categorical column 'color': ", s.Error, StringComparison.Ordinal);
        Assert.Contains("120 rows hold 1 value that the model did not see in training (first 'purple'", s.Error, StringComparison.Ordinal);
        Assert.Equal(241, File.ReadAllLines(_dir.File("s.csv")).Length);

        var again = CliHarness.Run("score", "--model", model, "--data", score, "--label", "cls", "--categorical", "color", "--out", _dir.File("s2.csv"));
        Assert.Equal(2, again.ExitCode); // score takes the columns from the model: --categorical is not an option of score
        Assert.Contains("'--categorical' is not an option of 'acr score'", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Latin1_is_refused_naming_encoding_and_decoded_with_it()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("y,a\n"), 0xC9, .. Encoding.ASCII.GetBytes("t\xE9,1\nx,2\n".Replace("\xE9", "?", StringComparison.Ordinal))];
        bytes[Array.IndexOf(bytes, (byte)'?')] = 0xE9;
        var path = _dir.File("latin.csv");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(path, new CsvReadOptions { LabelColumn = "y" }));
        Assert.Contains("pass --encoding latin1", e.Message, StringComparison.Ordinal);
        var data = CsvDatasetReader.Read(path, new CsvReadOptions { LabelColumn = "y", Encoding = CsvTextEncoding.Latin1 });
        Assert.Equal(["Été", "x"], data.Labels!);
    }

    [Fact]
    public void Cli_train_reads_latin1_with_encoding_and_refuses_it_without()
    {
        var text = SyntheticCsv.Make(classes: 3).Replace("\na,", "\n\u00C9,", StringComparison.Ordinal);
        var path = _dir.File("latin.csv");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
        var model = _dir.File("m.safetensors");
        var refused = CliHarness.Run(["train", "--data", path, "--label", "cls", "--out", model, .. Fast]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--encoding latin1", refused.Error, StringComparison.Ordinal);
        var read = CliHarness.Run(["train", "--data", path, "--label", "cls", "--encoding", "latin1", "--out", model, .. Fast]);
        Assert.True(read.ExitCode == 0, read.Error);
        Assert.Contains("trained on 3 distributions", read.Output, StringComparison.Ordinal);
        var bad = CliHarness.Run(["train", "--data", path, "--label", "cls", "--encoding", "ebcdic", "--out", model, .. Fast]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--encoding must be utf8 or latin1; got 'ebcdic'", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_names_in_another_order_are_refused_not_a_crash()
    {
        var train = _dir.Write("dup.csv", "cls,a,a,b\n" + string.Concat(Enumerable.Range(0, 120).Select(i => $"{(char)('p' + (i % 4))},{i % 7},{i % 5},{i % 3}\n")));
        var model = _dir.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", train, "--label", "cls", "--out", model, .. Fast]).ExitCode);
        var score = _dir.Write("dup2.csv", "cls,b,a,a\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"p,{i % 3},{i % 7},{i % 5}\n")));
        var r = CliHarness.Run("score", "--model", model, "--data", score, "--label", "cls", "--out", _dir.File("s.csv"));
        Assert.True(r.ExitCode == 2, r.Error);
        Assert.Contains("'a' names more than one column, so they cannot be matched by name", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", r.Error, StringComparison.Ordinal);

        var same = CliHarness.Run("score", "--model", model, "--data", train, "--label", "cls", "--out", _dir.File("s2.csv"));
        Assert.True(same.ExitCode == 0, same.Error); // the model's own order still scores
    }

    [Fact]
    public void A_headerless_label_first_file_scores_exactly_like_the_headered_file()
    {
        var text = SyntheticCsv.Make(classes: 4, rowsPerClass: 64, features: 5);
        var headered = _dir.Write("h.csv", text);
        var headerless = _dir.Write("n.csv", text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        var model = _dir.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run(["train", "--data", headered, "--label", "cls", "--out", model, .. Fast]).ExitCode);
        var a = CliHarness.Run("score", "--model", model, "--data", headered, "--label", "cls", "--out", _dir.File("a.csv"));
        var b = CliHarness.Run("score", "--model", model, "--data", headerless, "--label", "0", "--out", _dir.File("b.csv"));
        Assert.True(a.ExitCode == 0, a.Error);
        Assert.True(b.ExitCode == 0, b.Error);
        Assert.Equal(File.ReadAllLines(_dir.File("a.csv")).Skip(1), File.ReadAllLines(_dir.File("b.csv")).Skip(1));
    }

    [Theory]
    [InlineData(new[] { "col1", "col2", "col5" }, true)]
    [InlineData(new[] { "col0" }, true)]
    [InlineData(new[] { "col2", "col1" }, false)]
    [InlineData(new[] { "col1", "x" }, false)]
    [InlineData(new[] { "col", "col1" }, false)]
    [InlineData(new[] { "colA" }, false)]
    public void Synthetic_names_are_increasing_col_indices(string[] names, bool synthetic) =>
        Assert.Equal(synthetic, FeatureColumns.Synthetic(names));

    [Fact]
    public void A_model_trained_headerless_takes_named_data_in_order()
    {
        Assert.Equal([0, 1, 2], FeatureColumns.Match(["z", "y", "x"], ["col1", "col2", "col3"]));
        Assert.Equal([2, 1, 0], FeatureColumns.Match(["z", "y", "x"], ["x", "y", "z"]));
        Assert.Equal([0, 1, 2], FeatureColumns.Match(["col0", "col1", "col2"], ["x", "y", "z"], dataHasHeader: false));
    }
}
