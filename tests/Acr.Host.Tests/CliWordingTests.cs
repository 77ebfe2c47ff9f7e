using Acr.Host.Cli;

namespace Acr.Host.Tests;

/// <summary>
/// The command line speaks acr's words: a mistyped command or option gets a "did you mean", a bad numeric value says
/// what the option takes without a .NET type name, a plugin's ArgumentException shows no "(Parameter ...)", and the
/// help states the defaults the commands really use.
/// </summary>
public sealed class CliWordingTests : IDisposable
{
    private static readonly string[] Fast = ["--iterations", "3", "--tasks", "4", "--task-size", "16", "--quiet"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertUsageError(CliHarness.Result r, params string[] phrases)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}; stderr: {r.Error}");
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, r.Error, StringComparison.Ordinal);
        }
    }

    private static void AssertNoDotNetText(string error)
    {
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("expected type", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_command_gets_did_you_mean_and_nothing_about_its_arguments()
    {
        var r = CliHarness.Run("trian", "--data", "x.csv");
        AssertUsageError(r, "'trian' is not an acr command. Did you mean 'train'?", "Commands: plugins, demo, train, score, serve, submit, worker, collect, evaluate");
        Assert.DoesNotContain("Required command", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--data", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_far_from_every_name_lists_the_commands_without_a_guess()
    {
        var r = CliHarness.Run("frobnicate");
        AssertUsageError(r, "'frobnicate' is not an acr command.", "Commands:");
        Assert.DoesNotContain("Did you mean", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_option_gets_did_you_mean_and_its_value_is_not_a_second_error()
    {
        var data = _dir.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", _dir.File("m.safetensors"), "--iteration", "5", .. Fast]);
        AssertUsageError(r, "'--iteration' is not an option of 'acr train'. Did you mean '--iterations'?");
        Assert.DoesNotContain("'5'", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("m.safetensors")));
    }

    [Fact]
    public void Equally_near_options_are_all_offered()
    {
        var r = CliHarness.Run("score", "--modle", "m.safetensors", "--data", "d.csv", "--out", "s.csv");
        AssertUsageError(r, "Did you mean '--model' or '--mode'?");
    }

    [Theory]
    [InlineData("--seed", "-1", "--seed takes a whole number from 0 to 18446744073709551615; got '-1'; it is out of range")]
    [InlineData("--seed", "abc", "--seed takes a whole number from 0 to 18446744073709551615; got 'abc'.")]
    [InlineData("--seed", "1.5", "got '1.5'; it has a fractional part")]
    [InlineData("--iterations", "ten", "--iterations takes a whole number; got 'ten'.")]
    [InlineData("--tasks", "99999999999", "--tasks takes a whole number; got '99999999999'; it is out of range (from -2147483648 to 2147483647)")]
    [InlineData("--threads", "many", "--threads takes a whole number; got 'many'.")]
    [InlineData("--lr", "fast", "--lr takes a finite number with a '.' decimal point (e.g. 0.001 or 1e-3); got 'fast'.")]
    [InlineData("--lr", "NaN", "got 'NaN'")]
    public void A_bad_numeric_value_says_what_the_option_takes(string option, string value, string expected)
    {
        var data = _dir.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run("train", "--data", data, "--label", "cls", "--out", _dir.File("m.safetensors"), option, value, "--quiet");
        AssertUsageError(r, expected);
        Assert.False(File.Exists(_dir.File("m.safetensors")));
        AssertNoDotNetText(r.Error);
    }

    /// <summary>Every option that takes a value, of every command, given a value no type accepts: no message may name a .NET type.</summary>
    [Theory]
    [InlineData("train")]
    [InlineData("score")]
    [InlineData("evaluate")]
    [InlineData("demo")]
    [InlineData("bench")]
    [InlineData("selftest")]
    [InlineData("fetch")]
    [InlineData("devices")]
    [InlineData("plugins")]
    public void No_option_of_any_command_leaks_a_type_name(string command)
    {
        var help = CliHarness.Run(command, "--help").Output;
        var options = System.Text.RegularExpressions.Regex.Matches(help, @"^\s+(?:-\w, )?(--[a-z-]+) <", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.NotEmpty(options);
        foreach (var option in options)
        {
            // The unknown option makes it a parse error, so nothing runs whatever the other values do.
            var r = CliHarness.Run(command, option, "zz!z", "--no-such-option");
            Assert.Equal(2, r.ExitCode);
            AssertNoDotNetText(r.Error);
        }
    }

    [Fact]
    public void A_refused_backend_option_has_no_parameter_suffix()
    {
        var data = _dir.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", _dir.File("m.safetensors"), "--threads", "0", .. Fast]);
        AssertUsageError(r, "Backend 'cpu':", "'threads' must be an integer of at least 1; got '0'.");
        AssertNoDotNetText(r.Error);
    }

    [Fact]
    public void A_refused_detector_option_has_no_parameter_suffix()
    {
        var data = _dir.Write("d.csv", SyntheticCsv.Make());
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", _dir.File("m.safetensors"), "--option", "hidden=abc", .. Fast]);
        AssertUsageError(r, "Detector 'deep-svdd': Option 'hidden' must be a positive integer; got 'abc'. Set it with --option");
        AssertNoDotNetText(r.Error);
    }

    [Fact]
    public void Argument_messages_lose_only_the_suffixes_dotnet_adds()
    {
        Assert.Equal("Must be positive; got -3.", new ArgumentException("Must be positive; got -3.", "options").UserMessage());
        Assert.Equal("Too big.", new ArgumentOutOfRangeException("count", 7, "Too big.").UserMessage());
        Assert.Equal("Plain (Parameter 'kept') text.", new ArgumentException("Plain (Parameter 'kept') text.").UserMessage());
    }

    [Theory]
    [InlineData("trian", "train", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("--iteration", "--iterations", 1)]
    [InlineData("score", "score", 0)]
    public void Edit_distance_counts_insertions_deletions_substitutions_and_swaps(string a, string b, int expected)
    {
        Assert.Equal(expected, ParseErrorReport.EditDistance(a, b));
        Assert.Equal(expected, ParseErrorReport.EditDistance(b, a));
    }

    [Fact]
    public void Help_states_the_training_classes_each_command_really_uses()
    {
        var train = CliHarness.Run("train", "--help").Output;
        var evaluate = CliHarness.Run("evaluate", "--help").Output;
        Assert.Contains("every class of --label", train, StringComparison.Ordinal);
        Assert.DoesNotContain("first half", train, StringComparison.Ordinal);
        Assert.Contains("the first half", evaluate, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_without_train_classes_trains_on_every_class_as_its_help_says()
    {
        var data = _dir.Write("d.csv", SyntheticCsv.Make(classes: 5));
        var r = CliHarness.Run(["train", "--data", data, "--label", "cls", "--out", _dir.File("m.safetensors"), .. Fast]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("trained on 5 distributions", r.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_letter_data_is_taken_by_name_with_its_label()
    {
        var model = _dir.File("m.safetensors");
        var r = CliHarness.Run(["train", "--data", "letter", "--out", model, .. Fast]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("trained on 26 distributions (20000 rows, 16 features)", r.Output, StringComparison.Ordinal);
        var s = CliHarness.Run("score", "--model", model, "--data", "letter", "--out", _dir.File("s.csv"));
        Assert.True(s.ExitCode == 0, s.Error);
        Assert.Contains("scored 20000 rows", s.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fetchable_csv_set_named_before_it_is_fetched_says_to_fetch_it()
    {
        var e = Assert.Throws<AcrDataException>(() => NamedDatasets.TryRead("digits", _dir.File("empty-cache"), new CsvReadOptions(), out _));
        Assert.Contains("Run 'acr fetch digits' first", e.Message, StringComparison.Ordinal);
        Assert.False(NamedDatasets.TryRead("no-such-set", _dir.Path, new CsvReadOptions(), out _));
    }
}

/// <summary>Out of memory is exit 2 with what to lower, also when a worker thread's exception arrives wrapped.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2201:Do not raise reserved exception types", Justification = "The exceptions are built to be classified, never thrown.")]
public sealed class OutOfMemoryRecognitionTests
{
    [Fact]
    public void Wrapped_out_of_memory_is_recognised_and_nothing_else_is()
    {
        Assert.True(AcrCli.IsOutOfMemory(new OutOfMemoryException()));
        Assert.True(AcrCli.IsOutOfMemory(new AggregateException(new OutOfMemoryException(), new AggregateException(new OutOfMemoryException()))));
        Assert.True(AcrCli.IsOutOfMemory(new System.Reflection.TargetInvocationException(new OutOfMemoryException())));
        Assert.False(AcrCli.IsOutOfMemory(new AggregateException(new OutOfMemoryException(), new IOException())));
        Assert.False(AcrCli.IsOutOfMemory(new AggregateException()));
        Assert.False(AcrCli.IsOutOfMemory(new InvalidOperationException()));
    }
}
