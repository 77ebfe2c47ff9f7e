namespace Acr.Host.Tests;

public sealed class CsvDatasetReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TabularDataset Read(string csv, CsvReadOptions? options = null, string name = "data.csv")
        => CsvDatasetReader.Read(_dir.Write(name, csv), options);

    /// <summary>Reading <paramref name="csv"/> fails with a message that contains each of <paramref name="expected"/>.</summary>
    private void AssertFails(string csv, params string[] expected) => AssertFails(csv, null, expected);

    /// <summary>Reading <paramref name="csv"/> with <paramref name="options"/> fails with a message that contains each of <paramref name="expected"/>.</summary>
    private void AssertFails(string csv, CsvReadOptions? options, params string[] expected)
    {
        var message = Assert.Throws<AcrDataException>(() => Read(csv, options)).Message;
        foreach (var part in expected)
        {
            Assert.Contains(part, message, StringComparison.Ordinal);
        }
    }

    private static CsvReadOptions Label(string label) => new() { LabelColumn = label };

    [Fact]
    public void Reads_a_file_with_a_header_and_a_label_by_name()
    {
        TabularDataset data = Read("a,b,y\n1,2.5,x\n-3,4e2,z\n", Label("y"));
        Assert.Equal(2, data.Rows);
        Assert.Equal(2, data.Columns);
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal([1f, 2.5f, -3f, 400f], data.Features);
        Assert.Equal(["x", "z"], data.Labels!);
        Assert.Null(data.Groups);
        Assert.EndsWith("data.csv", data.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("col2")]
    public void Reads_a_file_without_a_header_with_a_label_by_index(string label)
    {
        TabularDataset data = Read("1,2,0\n3,4,1\n", Label(label));
        Assert.Equal(2, data.Rows);
        Assert.Equal(["col0", "col1"], data.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
        Assert.Equal(["0", "1"], data.Labels!);
    }

    [Fact]
    public void Label_column_may_come_first()
    {
        TabularDataset data = Read("T,1,2\nI,3,4\n", Label("0"));
        Assert.Equal(2, data.Rows);
        Assert.Equal(["T", "I"], data.Labels!);
        Assert.Equal(["col1", "col2"], data.FeatureNames);
    }

    [Fact]
    public void Without_a_label_every_column_is_a_feature()
    {
        TabularDataset data = Read("1,2\n3,4\n");
        Assert.Equal(2, data.Rows);
        Assert.Null(data.Labels);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
    }

    [Fact]
    public void Header_detection_can_be_forced()
    {
        Assert.Equal(1, Read("1,2\n3,4\n", new CsvReadOptions { HasHeader = true }).Rows);
        Assert.Equal(["1", "2"], Read("1,2\n3,4\n", new CsvReadOptions { HasHeader = true }).FeatureNames);
        AssertFails("a,b\n3,4\n", new CsvReadOptions { HasHeader = false }, "'a' is not a number", "header");
    }

    [Fact]
    public void Header_detection_ignores_empty_and_na_fields_of_the_first_row()
    {
        // R's write.csv writes an empty name for the row-name column.
        TabularDataset data = Read("\"\",\"v\",\"y\"\n\"1\",0.5,a\n\"2\",1.5,b\n", Label("y"));
        Assert.Equal(["col0", "v"], data.FeatureNames);
        Assert.Equal([1f, 0.5f, 2f, 1.5f], data.Features);
    }

    [Fact]
    public void Quoted_fields_with_delimiters_escaped_quotes_and_line_breaks()
    {
        TabularDataset data = Read("\"a\",\"b,c\",\"y\"\n\"1\",\"2\",\"he said \"\"hi\"\"\"\n3,4,\"two\nlines\"\n", Label("y"));
        Assert.Equal(["a", "b,c"], data.FeatureNames);
        Assert.Equal(["he said \"hi\"", "two\nlines"], data.Labels!);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
    }

    [Fact]
    public void Crlf_whitespace_blank_lines_and_a_byte_order_mark_are_accepted()
    {
        string path = _dir.File("bom.csv");
        File.WriteAllText(path, " a , b ,y\r\n 1 , 2 , x \r\n\r\n\t3\t,4,  z\r\n\r\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        TabularDataset data = CsvDatasetReader.Read(path, Label("y"));
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal(["x", "z"], data.Labels!);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
    }

    [Fact]
    public void Last_line_without_a_line_break_and_lone_cr_line_endings()
    {
        Assert.Equal(2, Read("a,b\n1,2\n3,4").Rows);
        Assert.Equal([1f, 2f, 3f, 4f], Read("a,b\r1,2\r3,4\r").Features);
    }

    [Fact]
    public void Other_delimiters()
    {
        Assert.Equal([1.5f, 2f], Read("a;b;y\n1.5;2;k\n", new CsvReadOptions { LabelColumn = "y", Delimiter = ';' }).Features);
        TabularDataset tabs = Read("a\tb\ty\n1\t 2\tk l\n", new CsvReadOptions { LabelColumn = "y", Delimiter = '\t' });
        Assert.Equal([1f, 2f], tabs.Features);
        Assert.Equal(["k l"], tabs.Labels!);
        Assert.Throws<AcrDataException>(() => Read("a\n1\n", new CsvReadOptions { Delimiter = '"' }));
    }

    [Fact]
    public void Reads_gzip_by_extension_and_by_magic_bytes()
    {
        byte[] gz = Gzip("a,b,y\n1,2,x\n3,4,z\n");
        string byExtension = _dir.File("data.csv.gz");
        File.WriteAllBytes(byExtension, gz);
        string byMagic = _dir.File("compressed.csv");
        File.WriteAllBytes(byMagic, gz);

        foreach (string path in new[] { byExtension, byMagic })
        {
            TabularDataset data = CsvDatasetReader.Read(path, Label("y"));
            Assert.Equal([1f, 2f, 3f, 4f], data.Features);
            Assert.Equal(["x", "z"], data.Labels!);
        }
    }

    [Fact]
    public void Reads_from_seekable_and_forward_only_streams()
    {
        byte[] plain = Encoding.UTF8.GetBytes("a,y\n1,x\n2,z\n");
        byte[] gz = Gzip("a,y\n1,x\n2,z\n");
        foreach (byte[] bytes in new[] { plain, gz })
        {
            Assert.Equal([1f, 2f], CsvDatasetReader.ReadFromStream(new MemoryStream(bytes), "resource", Label("y")).Features);
            using var forward = new ForwardOnlyStream(bytes);
            TabularDataset data = CsvDatasetReader.ReadFromStream(forward, "resource", Label("y"));
            Assert.Equal([1f, 2f], data.Features);
            Assert.Equal("resource", data.Source);
        }
    }

    [Fact]
    public void Group_column_and_drop()
    {
        TabularDataset data = Read("g,a,id,b,y\nt1,1,100,2,x\nt2,3,101,4,x\n", new CsvReadOptions { LabelColumn = "y", GroupColumn = "g", Drop = ["id"] });
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
        Assert.Equal(["t1", "t2"], data.Groups!);
        Assert.Same(data.Labels![0], data.Labels[1]); // repeated labels share one string

        TabularDataset byIndex = Read("1,2,3,4\n5,6,7,8\n", new CsvReadOptions { GroupColumn = "0", Drop = ["-1", "2"] });
        Assert.Equal(["col1"], byIndex.FeatureNames);
        Assert.Equal([2f, 6f], byIndex.Features);
        Assert.Equal(["1", "5"], byIndex.Groups!);
    }

    [Fact]
    public void Header_name_wins_over_an_index_with_the_same_text()
    {
        TabularDataset data = Read("x,0,y\n1,2,3\n", new CsvReadOptions { LabelColumn = "0", HasHeader = true });
        Assert.Equal(["2"], data.Labels!);
        Assert.Equal(["x", "y"], data.FeatureNames);
    }

    [Fact]
    public void Large_input_with_quoted_fields_across_buffer_boundaries()
    {
        var csv = new StringBuilder("f1,f2,label\r\n");
        for (int i = 0; i < 20_000; i++)
        {
            csv.Append(i).Append(",\"").Append(i * 0.5).Append("\",\"l,\"\"").Append(i % 7).Append("\"\"\"\r\n");
        }

        string longLabel = new('q', 200_000);
        csv.Append("1,2,").Append(longLabel).Append('\n');
        TabularDataset data = Read(csv.ToString(), Label("label"));
        Assert.Equal(20_001, data.Rows);
        for (int i = 0; i < 20_000; i++)
        {
            Assert.Equal(i, data.Features[2 * i]);
            Assert.Equal(i * 0.5f, data.Features[(2 * i) + 1]);
            Assert.Equal($"l,\"{i % 7}\"", data.Labels![i]);
        }

        Assert.Equal(longLabel, data.Labels![^1]);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var ex = Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(_dir.File("nope.csv")));
        Assert.Contains("Data file '", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nope.csv' not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(_dir.Path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \r\n")]
    [InlineData("a,b,y\n")]
    [InlineData("a,b,y\r\n\r\n")]
    public void Empty_file_or_header_only_has_no_data_rows(string csv)
    {
        AssertFails(csv, new CsvReadOptions { HasHeader = csv.Length > 0 ? true : null }, "no data rows");
    }

    [Fact]
    public void Ragged_rows_are_reported_with_row_and_line()
    {
        AssertFails("a,b,c\n1,2,3\n4,5,6\n7,8\n", "row 3 has 2 fields, expected 3", "line 4");
        AssertFails("a,b,c\n1,2,3,4\n", "row 1 has 4 fields, expected 3");
    }

    [Fact]
    public void Non_numeric_feature_names_the_row_column_and_the_fix()
    {
        AssertFails("lettr,x.box,y.box\nA,1,2\nB,2,3\nC,3,4\nD,4,5\nE,abc,6\n", Label("lettr"),
            "row 5, column 'x.box': 'abc' is not a number", "use --drop x.box to leave the column out", "line 6");
        AssertFails("1,2\n3,x\n", new CsvReadOptions { HasHeader = false, LabelColumn = "0" }, "row 2, column 1: 'x' is not a number; use --drop 1");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void Nan_and_infinity_are_rejected(string value)
    {
        AssertFails($"a,x\n1,2\n3,{value}\n", "row 2, column 'x'", "NaN/Infinity is not allowed", "clean or impute the data");
    }

    [Fact]
    public void Values_outside_float_range_are_rejected()
    {
        AssertFails("a\n1e40\n", new CsvReadOptions { HasHeader = true }, "outside the range of a 32-bit float");
    }

    [Theory]
    [InlineData("")]
    [InlineData("NA")]
    [InlineData("?")]
    public void Missing_values_are_rejected(string value)
    {
        AssertFails($"a,b\n1,2\n3,{value}\n", "row 2, column 'b': the value is missing", "impute");
    }

    [Fact]
    public void Unknown_label_column_lists_the_available_columns()
    {
        AssertFails("a,b,Class\n1,2,x\n", Label("class"), "label column 'class' not found", "Available columns: a, b, Class", "Did you mean 'Class'?");
        AssertFails("1,2,3\n", Label("class"), "no header row");
    }

    [Fact]
    public void Unknown_group_and_drop_columns_and_bad_indices_are_reported()
    {
        AssertFails("a,b\n1,2\n", new CsvReadOptions { GroupColumn = "task" }, "group column 'task' not found");
        AssertFails("a,b\n1,2\n", new CsvReadOptions { Drop = ["zzz"] }, "column to drop 'zzz' not found");
        AssertFails("1,2,3\n", Label("3"), "label column index 3 is out of range");
        AssertFails("1,2,3\n", Label("-4"), "label column index -4 is out of range");
    }

    [Fact]
    public void No_feature_columns_left()
    {
        AssertFails("a,b,y\n1,2,x\n", new CsvReadOptions { LabelColumn = "y", Drop = ["a", "b"] }, "no feature columns left");
    }

    [Fact]
    public void Label_and_group_must_differ()
    {
        AssertFails("a,y\n1,x\n", new CsvReadOptions { LabelColumn = "y", GroupColumn = "-1" }, "both 'y'");
    }

    [Fact]
    public void Ambiguous_header_name_is_reported()
    {
        AssertFails("a,a,y\n1,2,x\n", Label("a"), "appears more than once");
    }

    [Fact]
    public void Empty_label_is_reported()
    {
        AssertFails("a,y\n1,x\n2, \n", Label("y"), "row 2, label column 'y' is empty");
    }

    [Fact]
    public void Malformed_quotes_are_reported()
    {
        AssertFails("a,b\n1,\"2\n3,4\n", "not closed");
        AssertFails("a,b\n1,\"2\"x\n", "after a closing quote");
    }

    [Fact]
    public void Truncated_or_corrupted_gzip_is_reported()
    {
        var csv = new StringBuilder("a,b\n");
        for (int i = 0; i < 3000; i++)
        {
            csv.Append(i).Append(',').Append(i * 0.25).Append('\n');
        }

        byte[] gz = Gzip(csv.ToString());
        Assert.Equal(3000, CsvDatasetReader.ReadFromStream(new MemoryStream(gz), "ok.csv.gz").Rows);
        foreach (int cut in new[] { 3, 10, gz.Length / 2, gz.Length - 8, gz.Length - 4, gz.Length - 1 })
        {
            var ex = Assert.Throws<AcrDataException>(() => CsvDatasetReader.ReadFromStream(new MemoryStream(gz[..cut]), "cut.csv.gz"));
            Assert.Contains("cut.csv.gz' is gzip-compressed but cannot be decompressed", ex.Message, StringComparison.Ordinal);
        }

        byte[] flipped = (byte[])gz.Clone();
        flipped[^6] ^= 0x01; // CRC byte of the trailer
        var crc = Assert.Throws<AcrDataException>(() => CsvDatasetReader.ReadFromStream(new MemoryStream(flipped), "crc.csv.gz"));
        Assert.Contains("crc.csv.gz' is gzip-compressed but cannot be decompressed", crc.Message, StringComparison.Ordinal);

        string path = _dir.File("broken.csv.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        Assert.Throws<AcrDataException>(() => CsvDatasetReader.Read(path));
    }

    [SharedDataFact("letter.csv.gz")]
    public void Reads_the_letter_data_set()
    {
        // Reading speed is measured by the benchmarks, not asserted here.
        string path = SharedData.Find("letter.csv.gz")!;
        var options = new CsvReadOptions { LabelColumn = "lettr" };
        TabularDataset data = CsvDatasetReader.Read(path, options);

        Assert.Equal(20_000, data.Rows);
        Assert.Equal(16, data.Columns);
        Assert.Equal("x.box", data.FeatureNames[0]);
        Assert.Equal("yegvx", data.FeatureNames[^1]);
        Assert.Equal(26, data.DistinctLabels().Length);
        Assert.Equal("T", data.Labels![0]);
        Assert.Equal([2f, 8f, 3f, 5f, 1f, 8f, 13f, 0f, 6f, 6f, 10f, 8f, 0f, 8f, 0f, 8f], data.GetRow(0).ToArray());
    }

    [SharedDataFact("digits.csv.gz")]
    public void Reads_the_digits_data_set_without_a_header()
    {
        string path = SharedData.Find("digits.csv.gz")!;
        TabularDataset last = CsvDatasetReader.Read(path, Label("-1"));
        TabularDataset byIndex = CsvDatasetReader.Read(path, Label("64"));
        Assert.Equal(1797, last.Rows);
        Assert.Equal(64, last.Columns);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], last.DistinctLabels());
        Assert.Equal(last.Features, byIndex.Features);
        Assert.Equal(last.Labels!, byIndex.Labels!);
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}
