using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;

namespace Acr.Host.Data.Fetch;

/// <summary>
/// Reads the data frame an R data file (<c>.rda</c>, as R's <c>save</c> writes it: XDR serialisation, version 2 or 3,
/// compressed with gzip, bzip2 or xz) holds, and writes it as R's <c>write.csv(x, row.names = FALSE)</c> would: a
/// header of quoted column names, numbers with up to 15 significant digits, factor levels and strings quoted, NA as
/// <c>NA</c>. Only what data frames of numbers and factors need is read: integer, double, logical and string vectors,
/// lists, attributes and symbols; anything else is refused with a message naming it.
/// </summary>
internal static class RDataFrame
{
    private const int NilValue = 254;
    private const int RefSxp = 255;
    private const int SymSxp = 1;
    private const int ListSxp = 2;
    private const int CharSxp = 9;
    private const int LglSxp = 10;
    private const int IntSxp = 13;
    private const int RealSxp = 14;
    private const int StrSxp = 16;
    private const int VecSxp = 19;
    private const int MaxLength = 1 << 28; // no data set acr fetches is near this; a corrupt length is refused, not allocated

    /// <summary>Converts the single data frame in <paramref name="rdaPath"/> to CSV at <paramref name="csvPath"/>.</summary>
    /// <exception cref="AcrDataException">The file is not an R data file holding one data frame of supported columns.</exception>
    public static void ConvertToCsv(string rdaPath, string csvPath)
    {
        var bytes = Decompress(rdaPath);
        var frame = Read(bytes, rdaPath);
        using var output = new StreamWriter(csvPath, append: false, new UTF8Encoding(false));
        output.NewLine = "\n";
        Write(frame, output);
    }

    /// <summary>The decompressed bytes of an R data file.</summary>
    internal static byte[] Decompress(string path)
    {
        var raw = File.ReadAllBytes(path);
        if (raw.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var copy = new MemoryStream();
            gz.CopyTo(copy);
            return copy.ToArray();
        }

        if (raw.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]))
        {
            return External("xz", path, "xz-utils");
        }

        if (raw.AsSpan().StartsWith("BZh"u8))
        {
            return External("bzip2", path, "bzip2");
        }

        return raw;
    }

    private static byte[] External(string tool, string path, string package)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-dc");
        start.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new AcrDataException($"Could not start '{tool}' to decompress '{path}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new AcrDataException($"'{path}' is {tool}-compressed and '{tool}' is not installed; install it (Debian: apt-get install {package}).", e);
        }

        using (process)
        {
            using var copy = new MemoryStream();
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.BaseStream.CopyTo(copy);
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new AcrDataException($"'{tool} -dc {path}' failed (exit {process.ExitCode}): {error.Result.Trim()}");
            }

            return copy.ToArray();
        }
    }

    /// <summary>One column: its name, and either numbers (NaN for NA; <see cref="IsInteger"/> for integer vectors) or strings (null for NA).</summary>
    internal sealed record Column(string Name, double[]? Numbers, string?[]? Strings, bool IsInteger);

    /// <summary>Reads the one data frame in the decompressed bytes of an R data file.</summary>
    internal static IReadOnlyList<Column> Read(byte[] bytes, string source)
    {
        var header = Encoding.ASCII.GetString(bytes, 0, Math.Min(5, bytes.Length));
        if (header is not ("RDX2\n" or "RDX3\n"))
        {
            throw new AcrDataException($"'{source}' is not an R data file (it starts with '{header.ReplaceLineEndings("\\n")}', not RDX2 or RDX3).");
        }

        var reader = new XdrReader(bytes, 5, source);
        if (reader.Byte() != 'X' || reader.Byte() != '\n')
        {
            throw new AcrDataException($"'{source}' is an R data file in a format other than XDR; re-save it with save(..., ascii = FALSE).");
        }

        var version = reader.Int();
        reader.Int(); // the R version that wrote it
        reader.Int(); // the oldest R that reads it
        if (version == 3)
        {
            reader.Skip(reader.Int()); // native encoding name
        }
        else if (version != 2)
        {
            throw new AcrDataException($"'{source}' uses R serialisation version {version}; versions 2 and 3 are supported.");
        }

        var top = reader.Item() as RList ?? throw new AcrDataException($"'{source}' does not hold a saved object list.");
        var frames = top.Values.OfType<RVector>().Where(v => v.Attribute("class") is RVector { Values: string[] c } && c.Contains("data.frame")).ToArray();
        if (frames.Length != 1 || top.Values.Count != 1)
        {
            throw new AcrDataException($"'{source}' holds {top.Values.Count} object(s), {frames.Length} of them data frames; one data frame is expected.");
        }

        var frame = frames[0];
        var names = frame.Attribute("names") is RVector { Values: string?[] n } ? n : throw new AcrDataException($"The data frame in '{source}' has no column names.");
        var columns = (object?[])frame.Values;
        var result = new List<Column>(columns.Length);
        int? rows = null;
        for (var c = 0; c < columns.Length; c++)
        {
            var column = columns[c] as RVector ?? throw new AcrDataException($"Column {c} of the data frame in '{source}' is not a vector.");
            var name = names[c] ?? $"V{c + 1}";
            Column converted = column.Values switch
            {
                int[] ints when column.Attribute("levels") is RVector { Values: string?[] levels } =>
                    new Column(name, null, ints.Select(i => i == int.MinValue ? null : i >= 1 && i <= levels.Length ? levels[i - 1] : throw new AcrDataException($"Factor column '{name}' in '{source}' has a code {i} outside its {levels.Length} levels.")).ToArray(), false),
                int[] ints => new Column(name, ints.Select(i => i == int.MinValue ? double.NaN : i).ToArray(), null, IsInteger: true),
                double[] doubles => new Column(name, doubles, null, false),
                string?[] strings => new Column(name, null, strings, false),
                _ => throw new AcrDataException($"Column '{name}' in '{source}' is of a kind acr does not read (only numbers, factors and strings)."),
            };
            var length = converted.Numbers?.Length ?? converted.Strings!.Length;
            if (rows is not null && rows != length)
            {
                throw new AcrDataException($"Column '{name}' in '{source}' has {length} values but the others have {rows}.");
            }

            rows = length;
            result.Add(converted);
        }

        return result;
    }

    /// <summary>Writes the columns as <c>write.csv(row.names = FALSE)</c> does.</summary>
    internal static void Write(IReadOnlyList<Column> columns, TextWriter output)
    {
        output.WriteLine(string.Join(',', columns.Select(c => Quote(c.Name))));
        var rows = columns.Count == 0 ? 0 : columns[0].Numbers?.Length ?? columns[0].Strings!.Length;
        var line = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            line.Clear();
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0)
                {
                    line.Append(',');
                }

                var column = columns[c];
                if (column.Numbers is { } numbers)
                {
                    line.Append(Number(numbers[r]));
                }
                else
                {
                    line.Append(column.Strings![r] is { } s ? Quote(s) : "NA");
                }
            }

            output.WriteLine(line);
        }
    }

    /// <summary>A number as R prints it in write.csv: up to 15 significant digits, NA, Inf, -Inf.</summary>
    internal static string Number(double value)
    {
        if (double.IsNaN(value))
        {
            return "NA";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Inf" : "-Inf";
        }

        var text = value.ToString("G15", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        // R writes 1e-05 and 1.5e+20: a lower-case e, a sign, at least two exponent digits.
        var exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{text[..e]}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
    }

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A vector (int[], double[], string?[] or object?[] for a list) and its attributes.</summary>
    private sealed record RVector(Array Values, RList? Attributes)
    {
        public object? Attribute(string name) => Attributes?.Get(name);
    }

    /// <summary>A pairlist: tags (symbol names, or null) and values.</summary>
    private sealed record RList(List<string?> Tags, List<object?> Values)
    {
        public object? Get(string tag)
        {
            var i = Tags.IndexOf(tag);
            return i < 0 ? null : Values[i];
        }
    }

    /// <summary>A symbol.</summary>
    private sealed record RSymbol(string Name);

    private sealed class XdrReader(byte[] bytes, int position, string source)
    {
        private readonly List<object> _references = [];
        private int _position = position;

        public byte Byte() => _position < bytes.Length ? bytes[_position++] : throw Truncated();

        public int Int()
        {
            if (_position + 4 > bytes.Length)
            {
                throw Truncated();
            }

            var value = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(_position));
            _position += 4;
            return value;
        }

        public void Skip(int count)
        {
            if (count < 0 || _position + count > bytes.Length)
            {
                throw Truncated();
            }

            _position += count;
        }

        public object? Item()
        {
            var flags = Int();
            var type = flags & 0xFF;
            var hasAttributes = (flags & (1 << 9)) != 0;
            var hasTag = (flags & (1 << 10)) != 0;
            switch (type)
            {
                case NilValue:
                    return null;
                case RefSxp:
                    var index = flags >> 8;
                    if (index == 0)
                    {
                        index = Int();
                    }

                    return index >= 1 && index <= _references.Count ? _references[index - 1] : throw Corrupt($"a reference to object {index} of {_references.Count}");
                case SymSxp:
                    var symbol = new RSymbol(Item() as string ?? throw Corrupt("a symbol without a name"));
                    _references.Add(symbol);
                    return symbol;
                case ListSxp:
                    return PairList(hasAttributes, hasTag);
                case CharSxp:
                    var length = Int();
                    if (length == -1)
                    {
                        return null; // NA_STRING
                    }

                    CheckLength(length);
                    Skip(length);
                    return Encoding.UTF8.GetString(bytes, _position - length, length);
                case LglSxp or IntSxp:
                {
                    var values = new int[Length()];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = Int();
                    }

                    return new RVector(values, hasAttributes ? Item() as RList : null);
                }

                case RealSxp:
                {
                    var values = new double[Length()];
                    if (_position + (8L * values.Length) > bytes.Length)
                    {
                        throw Truncated();
                    }

                    for (var i = 0; i < values.Length; i++, _position += 8)
                    {
                        values[i] = BinaryPrimitives.ReadDoubleBigEndian(bytes.AsSpan(_position));
                    }

                    return new RVector(values, hasAttributes ? Item() as RList : null);
                }

                case StrSxp:
                {
                    var values = new string?[Length()];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = Item() as string;
                    }

                    return new RVector(values, hasAttributes ? Item() as RList : null);
                }

                case VecSxp:
                {
                    var values = new object?[Length()];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = Item();
                    }

                    return new RVector(values, hasAttributes ? Item() as RList : null);
                }

                default:
                    throw new AcrDataException($"'{source}' holds an R object of type {type} at byte {_position - 4}, which acr does not read (data frames of numbers, factors and strings only).");
            }
        }

        private RList PairList(bool hasAttributes, bool hasTag)
        {
            var list = new RList([], []);
            while (true)
            {
                if (hasAttributes)
                {
                    Item(); // a pairlist cell's own attributes: not needed
                }

                list.Tags.Add(hasTag ? (Item() as RSymbol)?.Name : null);
                list.Values.Add(Item());

                // The tail: another cell (read in this loop, not by recursion, so long lists cannot overflow the stack) or the end.
                var flags = Int();
                var type = flags & 0xFF;
                if (type == NilValue)
                {
                    return list;
                }

                if (type != ListSxp)
                {
                    throw Corrupt($"a pairlist whose tail is of type {type}");
                }

                hasAttributes = (flags & (1 << 9)) != 0;
                hasTag = (flags & (1 << 10)) != 0;
            }
        }

        private int Length()
        {
            var length = Int();
            if (length == -1)
            {
                var high = Int();
                var low = Int();
                throw Corrupt($"a long vector ({((long)high << 32) | (uint)low} elements)");
            }

            CheckLength(length);
            return length;
        }

        private void CheckLength(int length)
        {
            if (length < 0 || length > MaxLength || length > bytes.Length - _position + (16 * 1024))
            {
                throw Corrupt($"a length of {length}");
            }
        }

        private AcrDataException Truncated() => new($"'{source}' ends in the middle of an object (at byte {_position} of {bytes.Length}): the file is truncated or corrupt.");

        private AcrDataException Corrupt(string what) => new($"'{source}' is corrupt: it has {what} (at byte {_position}).");
    }
}
