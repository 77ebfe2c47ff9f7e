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
