using System.IO.Compression;
using System.Text;
using Acr.Host.Data;

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
