using Acr.Backends.Cpu;
using Acr.Compute;
using Acr.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Acr.Bench;

/// <summary>
/// The CPU backend's GEMM on the square sizes (256³, 1024³) and the training shapes, with a GFLOP/s column
/// (2·M·N·K / mean time). Run: <c>dotnet run -c Release --project bench/Acr.Bench -- --filter *GemmBenchmarks* --job short</c>.
/// Compare with <c>bench/torch_gemm.py</c> (torch.mm over OpenBLAS) on the same machine.
/// </summary>
[Config(typeof(Config))]
public class GemmBenchmarks
{
    private CpuBackend _backend = null!;
    private Tensor _a = null!;
    private Tensor _b = null!;
    private Tensor _c = null!;

    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.Square[0];

    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = new CpuBackend(Threads);
        var random = new Random(1234);
        _a = _backend.Allocate(new TensorShape(Shape.AShape.Rows, Shape.AShape.Columns));
        _b = _backend.Allocate(new TensorShape(Shape.BShape.Rows, Shape.BShape.Columns));
        _c = _backend.Allocate(new TensorShape(Shape.M, Shape.N));
        _backend.Upload(Enumerable.Range(0, _a.Length).Select(_ => (random.NextSingle() * 2) - 1).ToArray(), _a);
        _backend.Upload(Enumerable.Range(0, _b.Length).Select(_ => (random.NextSingle() * 2) - 1).ToArray(), _b);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        _backend.Dispose();
    }

    [Benchmark]
    public void Gemm() => _backend.Gemm(Shape.TransposeA, Shape.TransposeB, 1f, _a, _b, 0f, _c);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new GflopsColumn());
        }
    }

    /// <summary>GFLOP/s of a GEMM case: 2·M·N·K over the mean time.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Throughput: 2·M·N·K floating-point operations per mean time, in 1e9/s";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } statistics || benchmarkCase.Parameters["Shape"] is not GemmShape shape)
            {
                return "-";
            }

            return (shape.Flops / statistics.Mean).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
