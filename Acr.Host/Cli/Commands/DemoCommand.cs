using Acr.Host.Evaluation;

namespace Acr.Host.Cli;

/// <summary>'acr demo': the zero-shot-by-class protocol on the embedded letter data.</summary>
internal sealed class DemoCommand : CliCommand
{
    private readonly Option<string> _outDir = new("--out") { Description = "Output folder for the model and reports.", DefaultValueFactory = _ => "acr-demo" };
    private readonly Option<int> _seeds = new("--seeds") { Description = "Number of seeds.", DefaultValueFactory = _ => 3 };
    private readonly Option<ulong> _seed = CliOptions.Seed();
    private readonly Option<bool> _quiet = CliOptions.Quiet();
    private readonly TrainingOptionSet _training = new();
    private readonly BackendOptionSet _backend = new();

    public DemoCommand(CliContext context)
        : base(context, "demo", "Zero-shot by class on the embedded UCI letter data: meta-train on letters A–M, score the unseen N–Z, compare ACR with B1 and B2.")
    {
        Add([_outDir, _seeds, _seed, _quiet, .. _training, .. _backend]);
    }

    protected override int Run(ParseResult parse)
    {
        var options = new ZeroShotProtocolOptions
        {
            Seeds = parse.GetValue(_seeds),
            BaseSeed = parse.GetValue(_seed),
            Training = _training.Read(parse),
            DetectorOptions = _training.DetectorOptions(parse, Context.Registry),
        };
        options.Validate();
        using var b = _backend.Create(Context, parse);
        return EvaluationRunner.Run(Context, EmbeddedDatasets.Letter(), _training.DetectorName(parse), options, b, parse.GetValue(_outDir)!, parse.GetValue(_quiet), "letter");
    }
}
