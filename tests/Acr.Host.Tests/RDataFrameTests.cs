using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Acr.Host.Data.Fetch;

namespace Acr.Host.Tests;

/// <summary>
/// The R data reader behind <c>acr fetch vehicle</c>: data frames serialised by hand here in R's XDR format (what
/// <c>save()</c> writes), read back and written as <c>write.csv(row.names = FALSE)</c> would; malformed files refused.
/// </summary>
public class RDataFrameTests
{
    [Fact]
    public void A_data_frame_of_doubles_integers_a_factor_and_strings_becomes_write_csv_text()
    {
        var rda = Serialize(Frame(
            ("x", Doubles(95, 0.5, double.NaN, 1e-5, 1.5e20, -3)),
            ("n.int", Ints(1, 2, int.MinValue, 4, 5, 6)),
            ("Class", Factor(["bus", "van"], 2, 1, 1, int.MinValue, 2, 2)),
            ("note", Strings("a", "say \"hi\"", null, "b,c", "", "z"))));

        var csv = ToCsv(rda);

        Assert.Equal(
            "\"x\",\"n.int\",\"Class\",\"note\"\n" +
            "95,1,\"van\",\"a\"\n" +
            "0.5,2,\"bus\",\"say \"\"hi\"\"\"\n" +
            "NA,NA,\"bus\",NA\n" +
            "1e-05,4,NA,\"b,c\"\n" +
            "1.5e+20,5,\"van\",\"\"\n" +
            "-3,6,\"van\",\"z\"\n", csv);
    }

    [Fact]
    public void A_gzip_compressed_file_reads_the_same()
    {
        var rda = Serialize(Frame(("a", Doubles(1, 2)), ("b", Ints(3, 4))));
        using var packed = new MemoryStream();
        using (var gz = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(rda);
        }

        Assert.Equal(ToCsv(rda), ToCsv(packed.ToArray()));
        Assert.Equal("\"a\",\"b\"\n1,3\n2,4\n", ToCsv(rda));
    }

    [Theory]
    [InlineData("not an R data file", "is not an R data file")]
    [InlineData("truncated", "truncated or corrupt")]
    [InlineData("huge length", "is corrupt: it has a length of")]
    [InlineData("two objects", "one data frame is expected")]
    [InlineData("bad factor code", "outside its 2 levels")]
    public void Malformed_files_are_refused_naming_the_problem(string kind, string message)
    {
        var good = Serialize(Frame(("a", Doubles(1, 2)), ("b", Ints(3, 4))));
        byte[] bytes = kind switch
        {
            "not an R data file" => Encoding.ASCII.GetBytes("PK\u0003\u0004 a zip file"),
            "truncated" => good[..(good.Length - 7)],
            "huge length" => HugeLength(),
            "two objects" => Serialize(Frame(("a", Doubles(1, 2))), Frame(("b", Doubles(1, 2)))),
            _ => Serialize(Frame(("f", Factor(["x", "y"], 1, 3)))),
        };

        var error = Assert.Throws<AcrDataException>(() => ToCsv(bytes));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_converts_a_pinned_R_file_and_checks_the_converted_pin_too()
    {
        using var dir = new TempDirectory();
        var rda = Serialize(Frame(("a", Doubles(1.25, 2)), ("Class", Factor(["p", "q"], 1, 2))));
        var csv = Encoding.UTF8.GetBytes("\"a\",\"Class\"\n1.25,\"p\"\n2,\"q\"\n");
        PinnedFile Pin(byte[] converted) => new("data/X.rda", "x.csv", rda.Length, Hex(rda))
        {
            ConvertedTo = new FileConversion(ConversionKind.RDataFrameToCsv, converted.Length, Hex(converted)),
        };
        var downloader = new OneFile("data/X.rda", rda);

        var source = new DatasetSource("x", "test", PackageRegistry.Apt, "x", [Pin(csv)]);
        Assert.Equal(FetchOutcome.Fetched, new DatasetFetcher(downloader).Fetch(source, dir.Path, CancellationToken.None));
        Assert.Equal(csv, File.ReadAllBytes(Path.Combine(dir.Path, "x", "x.csv")));
        Assert.True(DatasetFetcher.IsPresent(dir.Path, source));

        // A converter that gave other bytes than pinned leaves the cache as it was.
        var wrong = new DatasetSource("y", "test", PackageRegistry.Apt, "y", [Pin([.. csv, (byte)'\n'])]);
        var error = Assert.Throws<AcrDataException>(() => new DatasetFetcher(downloader).Fetch(wrong, dir.Path, CancellationToken.None));
        Assert.Contains("conversion", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "y")));
    }

    private static string ToCsv(byte[] rda)
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.rda");
        File.WriteAllBytes(path, rda);
        RDataFrame.ConvertToCsv(path, dir.File("x.csv"));
        return File.ReadAllText(dir.File("x.csv"));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private sealed class OneFile(string member, byte[] bytes) : IPackageDownloader
    {
        public string DownloadAndUnpack(DatasetSource source, string workDirectory, CancellationToken cancellation)
        {
            var path = Path.Combine(workDirectory, "root", member);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            return Path.Combine(workDirectory, "root");
        }
    }

    // A minimal writer of R's XDR serialisation (version 2), enough for data frames.
    private const int Attr = 1 << 9;
    private const int Tag = 1 << 10;
    private const int Obj = 1 << 8;

    private delegate void Item(List<byte> o);

    private static byte[] Serialize(params Item[] frames)
    {
        var o = new List<byte>();
        o.AddRange("RDX2\nX\n"u8.ToArray());
        Int(o, 2);
        Int(o, 0x040201);
        Int(o, 0x020300);
        for (var i = 0; i < frames.Length; i++)
        {
            Int(o, 2 | Tag); // LISTSXP cell: tag (the object's name), value
            Symbol(o, $"obj{i}");
            frames[i](o);
        }

        Int(o, 254);
        return [.. o];
    }

    private static byte[] HugeLength()
    {
        var o = new List<byte>();
        o.AddRange("RDX2\nX\n"u8.ToArray());
        Int(o, 2);
        Int(o, 0);
        Int(o, 0);
        Int(o, 2 | Tag);
        Symbol(o, "x");
        Int(o, 14); // REALSXP
        Int(o, int.MaxValue);
        return [.. o];
    }

    private static Item Frame(params (string Name, Item Column)[] columns) => o =>
    {
        Int(o, 19 | Attr | Obj);
        Int(o, columns.Length);
        foreach (var (_, column) in columns)
        {
            column(o);
        }

        Attributes(o, ("names", Strings(columns.Select(c => c.Name).ToArray())), ("class", Strings("data.frame")), ("row.names", Ints(int.MinValue, -2)));
    };

    private static Item Doubles(params double[] values) => o =>
    {
        Int(o, 14);
        Int(o, values.Length);
        foreach (var v in values)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(b, double.IsNaN(v) ? BitConverter.Int64BitsToDouble(0x7FF00000000007A2) : v); // R's NA_real_
            o.AddRange(b);
        }
    };

    private static Item Ints(params int[] values) => o =>
    {
        Int(o, 13);
        Int(o, values.Length);
        foreach (var v in values)
        {
            Int(o, v);
        }
    };

    private static Item Factor(string[] levels, params int[] codes) => o =>
    {
        Int(o, 13 | Attr | Obj);
        Int(o, codes.Length);
        foreach (var c in codes)
        {
            Int(o, c);
        }

        Attributes(o, ("levels", Strings(levels)), ("class", Strings("factor")));
    };

    private static Item Strings(params string?[] values) => o =>
    {
        Int(o, 16);
        Int(o, values.Length);
        foreach (var v in values)
        {
            Char(o, v);
        }
    };

    private static void Attributes(List<byte> o, params (string Name, Item Value)[] attributes)
    {
        foreach (var (name, value) in attributes)
        {
            Int(o, 2 | Tag);
            Symbol(o, name);
            value(o);
        }

        Int(o, 254);
    }

    private static void Symbol(List<byte> o, string name)
    {
        Int(o, 1);
        Char(o, name);
    }

    private static void Char(List<byte> o, string? value)
    {
        Int(o, 9 | (1 << 15)); // CHARSXP, UTF-8 flag
        if (value is null)
        {
            Int(o, -1);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        Int(o, bytes.Length);
        o.AddRange(bytes);
    }

    private static void Int(List<byte> o, int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        o.AddRange(b);
    }
}
