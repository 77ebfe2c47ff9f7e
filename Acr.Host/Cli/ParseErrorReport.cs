using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Acr.Host.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the lines <c>acr</c> prints: a mistyped command or option gets a
/// "did you mean" (the nearest names by edit distance), the value that followed an unknown option is not reported a
/// second time, a mistyped command is not also "required command was not provided", and no message names a .NET type.
/// </summary>
internal static partial class ParseErrorReport
{
    /// <summary>The error lines (without the "error: " prefix) for a parse result with errors.</summary>
    /// <param name="parse">The parse result.</param>
    /// <param name="args">The arguments it was parsed from.</param>
    public static IReadOnlyList<string> Lines(ParseResult parse, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(args);
        var command = parse.CommandResult.Command;
        var unmatched = new HashSet<string>(parse.UnmatchedTokens, StringComparer.Ordinal);
        var lines = new List<string>();

        // An unknown first word is a mistyped command: everything after it belongs to that command.
        if (command is RootCommand && args.Count > 0 && !args[0].StartsWith('-') && unmatched.Contains(args[0]))
        {
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToArray();
            lines.Add($"'{args[0]}' is not an acr command.{DidYouMean(args[0], names)} Commands: {string.Join(", ", names)}.");
            return lines;
        }

        var skip = UnknownOptionValues(args, unmatched);
        foreach (var error in parse.Errors)
        {
            if (UnrecognizedToken().Match(error.Message) is { Success: true } m && unmatched.Contains(m.Groups[1].Value))
            {
                var token = m.Groups[1].Value;
                if (skip.Contains(token))
                {
                    continue;
                }

                lines.Add(token.StartsWith('-')
                    ? $"'{token}' is not an option of 'acr {CommandPath(parse.CommandResult)}'.{DidYouMean(token, OptionNames(parse.CommandResult))}"
                    : $"unexpected argument '{token}' for 'acr {CommandPath(parse.CommandResult)}' (option values follow their option, e.g. --seed 3).");
                continue;
            }

            lines.Add(WithoutTypeNames(error.Message));
        }

        return lines;
    }

    /// <summary>The names closest to <paramref name="typed"/> (edit distance at most 2, and 1 for short names), as a sentence, or empty.</summary>
    /// <param name="typed">What the user typed.</param>
    /// <param name="candidates">The valid names.</param>
    public static string DidYouMean(string typed, IEnumerable<string> candidates)
    {
        var limit = typed.TrimStart('-').Length <= 4 ? 1 : 2;
        var scored = candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: EditDistance(typed.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= limit)
            .ToArray();
        if (scored.Length == 0)
        {
            return string.Empty;
        }

        var best = scored.Min(c => c.Distance);
        var names = scored.Where(c => c.Distance == best).Select(c => $"'{c.Name}'").ToArray();
        return $" Did you mean {string.Join(" or ", names)}?";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of adjacent characters each cost 1.</summary>
    /// <param name="a">One string.</param>
    /// <param name="b">The other.</param>
    public static int EditDistance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>Unmatched words that directly follow an unknown option: its value, not a second mistake.</summary>
    private static HashSet<string> UnknownOptionValues(IReadOnlyList<string> args, HashSet<string> unmatched)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i].StartsWith('-') && unmatched.Contains(args[i]) && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && unmatched.Contains(args[i + 1]))
            {
                values.Add(args[i + 1]);
            }
        }

        return values;
    }

    /// <summary>Every option name and alias valid after this command: its own, and the recursive ones of the commands above it.</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        foreach (var option in result.Command.Options)
        {
            yield return option.Name;
            foreach (var alias in option.Aliases)
            {
                yield return alias;
            }
        }

        for (var parent = result.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            foreach (var option in parent.Command.Options.Where(o => o.Recursive))
            {
                yield return option.Name;
            }
        }
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return names.Count == 0 ? "" : string.Join(' ', names);
    }

    /// <summary>A last guard for any parse message that still names a .NET type.</summary>
    private static string WithoutTypeNames(string message) =>
        CannotParse().Replace(message, m => $"{m.Groups[2].Value} does not take '{m.Groups[1].Value}'; see 'acr --help' for the values it takes.");

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.$", RegexOptions.CultureInvariant)]
    private static partial Regex UnrecognizedToken();

    [GeneratedRegex(@"Cannot parse argument '(.*)' for option '(.*)' as expected type '[^']*'\.", RegexOptions.CultureInvariant)]
    private static partial Regex CannotParse();
}
