using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;

namespace Acr.Host.Tests;

/// <summary><c>acr score</c> reads and writes Parquet and Arrow IPC (chosen by extension) with the scores of CSV, bit for bit.</summary>
public class StreamingFormatTests
{
    private sealed record Scores(long[] Rows, string[] Batches, float[] Values, string[] Labels);

    private static Scores FromCsv(string path)
    {
        var lines = File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToArray();
        return new([.. lines.Select(f => long.Parse(f[0], CultureInfo.InvariantCulture))], [.. lines.Select(f => f[1])],
            [.. lines.Select(f => float.Parse(f[2], CultureInfo.InvariantCulture))], [.. lines.Select(f => f[3])]);
    }

    private static Scores FromParquet(string path)
    {
        using var file = File.OpenRead(path);
        var reader = ParquetReader.CreateAsync(file).GetAwaiter().GetResult();
        var fields = reader.Schema.GetDataFields();
        Assert.Equal(["row", "batch", "score", "label"], fields.Select(f => f.Name));
        var rows = new List<long>();
        var batches = new List<string>();
        var values = new List<float>();
        var labels = new List<string>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            var r = new long[n];
            var b = new string[n];
            var s = new float[n];
            var l = new string[n];
            rg.ReadAsync<long>(fields[0], r.AsMemory()).AsTask().GetAwaiter().GetResult();
            rg.ReadAsync(fields[1], b.AsMemory()!).AsTask().GetAwaiter().GetResult();
            rg.ReadAsync<float>(fields[2], s.AsMemory()).AsTask().GetAwaiter().GetResult();
            rg.ReadAsync(fields[3], l.AsMemory()!).AsTask().GetAwaiter().GetResult();
            rows.AddRange(r);
            batches.AddRange(b);
            values.AddRange(s);
            labels.AddRange(l);
        }

        reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return new([.. rows], [.. batches], [.. values], [.. labels]);
    }

    private static Scores FromArrow(string path, bool isFile)
    {
        using var file = File.OpenRead(path);
        using var reader = isFile ? new ArrowFileReader(file) : new ArrowStreamReader(file);
        var rows = new List<long>();
        var batches = new List<string>();
        var values = new List<float>();
        var labels = new List<string>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                Assert.Equal(["row", "batch", "score", "label"], batch.Schema.FieldsList.Select(f => f.Name));
                rows.AddRange(((Int64Array)batch.Column(0)).Values.ToArray());
                var ids = (StringArray)batch.Column(1);
                var labelColumn = (StringArray)batch.Column(3);
                for (var i = 0; i < batch.Length; i++)
                {
                    batches.Add(ids.GetString(i));
                    labels.Add(labelColumn.GetString(i));
                }

                values.AddRange(((FloatArray)batch.Column(2)).Values.ToArray());
            }
        }

        return new([.. rows], [.. batches], [.. values], [.. labels]);
    }

    private static void WriteParquet(string path, TabularDataset data)
    {
        // Features as float (f0, f1, f2), double (f3) and int-like float (f4 stays float): float columns carry the CSV's values exactly.
        var fields = new List<Parquet.Schema.Field> { new DataField<string>("cls") };
        fields.AddRange(data.FeatureNames.Select((n, j) => j == 3 ? (DataField)new DataField<double>(n) : new DataField<float>(n)));
        using var file = File.Create(path);
        var writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), file).GetAwaiter().GetResult();
        foreach (var range in new[] { (0, 150), (150, data.Rows) })
        {
            using var group = writer.CreateRowGroup();
            group.WriteAsync((DataField<string>)fields[0], data.Labels![range.Item1..range.Item2]).GetAwaiter().GetResult();
            for (var j = 0; j < data.Columns; j++)
            {
                var column = Enumerable.Range(range.Item1, range.Item2 - range.Item1).Select(r => data.Features[(r * data.Columns) + j]).ToArray();
                if (j == 3)
                {
                    group.WriteAsync<double>((DataField)fields[j + 1], column.Select(v => (double)v).ToArray().AsMemory()).GetAwaiter().GetResult();
                }
                else
                {
                    group.WriteAsync<float>((DataField)fields[j + 1], column.AsMemory()).GetAwaiter().GetResult();
                }
            }

            group.CompleteValidate();
        }

        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static void WriteArrow(string path, TabularDataset data, bool isFile)
    {
        var builder = new Schema.Builder().Field(f => f.Name("cls").DataType(StringType.Default));
        foreach (var n in data.FeatureNames)
        {
            builder.Field(f => f.Name(n).DataType(FloatType.Default));
        }

        var schema = builder.Build();
        using var file = File.Create(path);
        using var writer = isFile ? new ArrowFileWriter(file, schema) : new ArrowStreamWriter(file, schema);
        foreach (var (start, end) in new[] { (0, 77), (77, data.Rows) })
        {
            var labels = new StringArray.Builder();
            for (var r = start; r < end; r++)
            {
                labels.Append(data.Labels![r]);
            }

            var arrays = new List<IArrowArray> { labels.Build() };
            for (var j = 0; j < data.Columns; j++)
            {
                arrays.Add(new FloatArray.Builder().Append(Enumerable.Range(start, end - start).Select(r => data.Features[(r * data.Columns) + j]).ToArray().AsSpan()).Build());
            }

            using var batch = new RecordBatch(schema, arrays, end - start);
            writer.WriteRecordBatch(batch);
        }

        writer.WriteEnd();
    }

    [Fact]
    public void Parquet_and_Arrow_in_and_out_give_the_scores_of_csv()
    {
        using var tmp = new TempDirectory();
        var csv = tmp.Write("d.csv", SyntheticCsv.Make(classes: 4, rowsPerClass: 80, features: 5));
        var model = tmp.File("m.safetensors");
        Assert.Equal(0, CliHarness.Run("train", "--data", csv, "--label", "cls", "--out", model, "--iterations", "5", "--tasks", "4", "--task-size", "32", "--quiet").ExitCode);
        string[] common = ["--label", "cls", "--batch-size", "50", "--window-batches", "2", "--model", model];
        var reference = tmp.File("ref.csv");
        Assert.Equal(0, CliHarness.Run(["score", "--data", csv, "--out", reference, .. common]).ExitCode);
        var expected = FromCsv(reference);
        Assert.Equal(320, expected.Rows.Length);

        // Outputs: the same rows, batches, scores (bit for bit) and labels in every format.
        foreach (var (name, read) in new (string, Func<string, Scores>)[] { ("s.parquet", FromParquet), ("s.arrow", p => FromArrow(p, true)), ("s.feather", p => FromArrow(p, true)), ("s.arrows", p => FromArrow(p, false)) })
        {
            var r = CliHarness.Run(["score", "--data", csv, "--out", tmp.File(name), .. common]);
            Assert.True(r.ExitCode == 0, r.Error);
            var got = read(tmp.File(name));
            Assert.Equal(expected.Rows, got.Rows);
            Assert.Equal(expected.Batches, got.Batches);
            Assert.Equal(expected.Values.Select(BitConverter.SingleToInt32Bits), got.Values.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expected.Labels, got.Labels);
        }

        // Inputs: the same data as Parquet (two row groups, a double column) and Arrow (two record batches) scores the same.
        var data = CsvDatasetReader.Read(csv, new CsvReadOptions { LabelColumn = "cls" });
        WriteParquet(tmp.File("d.parquet"), data);
        WriteArrow(tmp.File("d.arrow"), data, isFile: true);
        WriteArrow(tmp.File("d.arrows"), data, isFile: false);
        foreach (var input in new[] { "d.parquet", "d.arrow", "d.arrows" })
        {
            var outFile = tmp.File(input + ".csv");
            var r = CliHarness.Run(["score", "--data", tmp.File(input), "--out", outFile, .. common]);
            Assert.True(r.ExitCode == 0, r.Error);
            Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(outFile));
        }

        // A label column that is not there, and a text feature column, are named.
        var missing = CliHarness.Run(["score", "--data", tmp.File("d.parquet"), "--out", tmp.File("x.csv"), "--model", model, "--label", "klass"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("label column 'klass' not found. Available columns: cls, f0", missing.Error, StringComparison.Ordinal);
        var text = CliHarness.Run(["score", "--data", tmp.File("d.arrow"), "--out", tmp.File("x.csv"), "--model", model]);
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("column 'cls' is not numeric. Pass --label COL", text.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File("x.csv")));
    }
}
