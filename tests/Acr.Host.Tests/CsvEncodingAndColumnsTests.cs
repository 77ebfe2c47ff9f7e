namespace Acr.Host.Tests;

/// <summary>CSV as people write it: encodings other than UTF-8 are refused with where and how to convert.</summary>
public sealed class CsvEncodingAndColumnsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Latin1_text_is_refused_with_the_byte_offset_and_iconv()
    {
        // "y,a\nCaf\xE9,1\n...": é in Latin-1 is the single byte 0xE9, which is not UTF-8.
        var head = Encoding.ASCII.GetBytes("y,a\nCaf");
        byte[] bytes = [.. head, 0xE9, .. Encoding.ASCII.GetBytes(",1\nTea,2\n")];
        var path = WriteBytes("latin.csv", bytes);
        var e = Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(path, new CsvReadOptions { LabelColumn = "y" }));
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Contains("0xE9", e.Message);
        Assert.Contains($"offset {head.Length} in the file", e.Message);
        Assert.Contains("iconv -f latin1 -t utf-8 latin.csv > latin-utf8.csv", e.Message);
    }

    [Fact]
    public void An_invalid_byte_far_into_a_gzip_file_is_placed_in_the_decompressed_text()
    {
        var text = new StringBuilder("y,a\n");
        for (var i = 0; i < 20_000; i++)
        {
            text.Append("k,").Append(i).Append('\n');
        }

        var head = Encoding.ASCII.GetBytes(text.ToString());
        byte[] raw = [.. head, 0xFF, .. Encoding.ASCII.GetBytes(",1\n")];
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw);
        }

        var path = WriteBytes("big.csv.gz", ms.ToArray());
        var e = Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(path, new CsvReadOptions { LabelColumn = "y" }));
        Assert.Contains($"offset {head.Length} of the decompressed text", e.Message);
        Assert.Contains("zcat big.csv.gz | iconv", e.Message);
    }

    [Fact]
    public void Utf8_labels_with_accents_still_read()
    {
        var path = WriteBytes("ok.csv", Encoding.UTF8.GetBytes("y,a\nCafé,1\nThé,2\n"));
        var data = CsvDatasetReader.Read(path, new CsvReadOptions { LabelColumn = "y" });
        Assert.Equal(["Café", "Thé"], data.Labels!);
    }

    [Fact]
    public void The_cli_refuses_latin1_with_exit_2()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("cls,a\nx"), 0xE9, .. Encoding.ASCII.GetBytes(",1\ny,2\n")];
        var path = WriteBytes("l.csv", bytes);
        var r = CliHarness.Run("train", "--data", path, "--label", "cls", "--out", _dir.File("m.safetensors"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not valid UTF-8", r.Error);
        Assert.False(File.Exists(_dir.File("m.safetensors")));
    }
}

/// <summary>CSV as people write it: every bad column in one message, and a forgotten --label named as such.</summary>
public sealed class CsvBadColumnsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Fail(string csv, CsvReadOptions options) =>
        Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(_dir.Write("d.csv", csv), options)).Message;

    [Fact]
    public void All_non_numeric_columns_are_reported_at_once_with_their_first_bad_value_and_line()
    {
        var m = Fail("y,name,a,city,b\nk,Bob,1,Paris,2\nk,Al,2,Rome,NA\n", new CsvReadOptions { LabelColumn = "y" });
        Assert.Contains("3 feature columns", m);
        Assert.Contains("'name' (first 'Bob', row 1, line 2)", m);
        Assert.Contains("'city' (first 'Paris', row 1, line 2)", m);
        Assert.Contains("'b' (first 'NA', row 2, line 3)", m);
        Assert.Contains("--drop name --drop city --drop b", m);
    }

    [Fact]
    public void The_list_of_bad_columns_is_capped()
    {
        var header = "y," + string.Join(",", Enumerable.Range(0, 61).Select(i => $"t{i}"));
        var row = "k," + string.Join(",", Enumerable.Repeat("word", 61));
        var m = Fail($"{header}\n{row}\n{row}\n", new CsvReadOptions { LabelColumn = "y" });
        Assert.Contains("61 feature columns", m);
        Assert.Contains("'t9' (first 'word'", m);
        Assert.DoesNotContain("'t10' (first", m);
        Assert.Contains("and 51 more", m);
    }

    [Fact]
    public void A_single_bad_column_keeps_its_own_message()
    {
        var m = Fail("y,a,b\nk,1,2\nk,abc,3\n", new CsvReadOptions { LabelColumn = "y" });
        Assert.Contains("row 2, column 'a': 'abc' is not a number; use --drop a", m);
    }

    [Fact]
    public void A_forgotten_label_says_pass_label()
    {
        var m = Fail("x.box,y.box,lettr\n1,2,D\n3,4,E\n", new CsvReadOptions());
        Assert.Contains("column 'lettr' (first 'D', row 1, line 2) is not numeric, and no --label was given", m);
        Assert.Contains("Pass --label COL", m);
        Assert.Contains("--label lettr", m);
        Assert.DoesNotContain("'D' is not a number", m);
    }

    [Fact]
    public void The_cli_says_pass_label_with_exit_2()
    {
        var r = CliHarness.Run("train", "--data", _dir.Write("l.csv", "a,b,cls\n1,2,D\n3,4,E\n5,6,D\n"), "--out", _dir.File("m.safetensors"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("pass --label COL", r.Error, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>CSV as people write it: the delimiter is detected from the first line, or given with --delimiter.</summary>
public sealed class CsvDelimiterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TabularDataset Read(string csv, CsvReadOptions? options = null) =>
        CsvDatasetReader.Read(_dir.Write("d.csv", csv), options ?? new CsvReadOptions { LabelColumn = "lettr" });

    [Theory]
    [InlineData("lettr;x.box;y.box\nA;1;2\nB;3;4\n")]
    [InlineData("lettr\tx.box\ty.box\nA\t1\t2\nB\t3\t4\n")]
    [InlineData("lettr|x.box|y.box\nA|1|2\nB|3|4\n")]
    [InlineData("lettr,x.box,y.box\nA,1,2\nB,3,4\n")]
    public void The_delimiter_is_detected_from_the_header(string csv)
    {
        var data = Read(csv);
        Assert.Equal(["x.box", "y.box"], data.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
        Assert.Equal(["A", "B"], data.Labels!);
    }

    [Fact]
    public void The_second_line_settles_a_header_with_two_candidates()
    {
        // "a,b" is one field of a semicolon file: the header has 1 ',' and 2 ';', the data line 2 ';' and no ','.
        var data = Read("lettr;\"a,b\";c\nA;1;2\n");
        Assert.Equal(["a,b", "c"], data.FeatureNames);
        var settled = Read("lettr;a,b;c\nA;1;2\n");
        Assert.Equal(["a,b", "c"], settled.FeatureNames);
    }

    [Fact]
    public void An_ambiguous_first_line_lists_the_candidates()
    {
        var e = Assert.Throws<AcrDataException>(() => Read("lettr;a,b\nA;1,2\n"));
        Assert.Contains("cannot tell the delimiter", e.Message);
        Assert.Contains("1 × ','", e.Message);
        Assert.Contains("1 × ';'", e.Message);
        Assert.Contains("--delimiter , or --delimiter ';'", e.Message);
    }

    [Fact]
    public void A_given_delimiter_is_used_as_is()
    {
        var data = Read("lettr;a,b\nA;1,2\n", new CsvReadOptions { LabelColumn = "0", Delimiter = ',' });
        // With ',' the header is "lettr;a" and "b": the label column 'lettr' is then unknown, so name the column by index.
        Assert.Equal(["A;1"], data.Labels!);
        Assert.Equal(["b"], data.FeatureNames);
        Assert.Equal([2f], data.Features);
    }

    [Fact]
    public void The_cli_reads_a_semicolon_file_and_takes_delimiter_names()
    {
        var csv = "cls;a;b\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{(char)('w' + i % 4)};{i % 7};{i % 5}\n"));
        var data = _dir.Write("semi.csv", csv);
        var auto = CliHarness.Run("train", "--data", data, "--label", "cls", "--out", _dir.File("m1.safetensors"), "--iterations", "2", "--tasks", "2", "--task-size", "8", "--quiet");
        Assert.True(auto.ExitCode == 0, auto.Error);
        var given = CliHarness.Run("train", "--data", data, "--label", "cls", "--delimiter", ";", "--out", _dir.File("m2.safetensors"), "--iterations", "2", "--tasks", "2", "--task-size", "8", "--quiet");
        Assert.True(given.ExitCode == 0, given.Error);
        var wrong = CliHarness.Run("train", "--data", data, "--label", "cls", "--delimiter", ":", "--out", _dir.File("m3.safetensors"), "--quiet");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("--delimiter must be one of , ; tab | or auto", wrong.Error);
    }
}
