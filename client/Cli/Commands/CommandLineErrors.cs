using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using SimCluster.Scenarios;
using SimCluster.Scenarios.Yaml;

namespace SimCluster.Cli.Commands;

/// <summary>
/// The parser's errors in the form of every other SimCluster error: labelled with what the user typed (the
/// option, the command), with a "did you mean" for a typo. A mistyped option is blamed itself, not the
/// argument after it that the parser could then not place (`run --bogus FILE` is about `--bogus`).
/// </summary>
public static class CommandLineErrors
{
    public static IReadOnlyList<string> Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var consumed = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (var option in OptionResults(parsed.RootCommandResult)) consumed.UnionWith(option.Tokens);
        var unmatched = new HashSet<Token>(parsed.UnmatchedTokens.Count == 0 ? [] : parsed.Tokens.Where(t => parsed.UnmatchedTokens.Contains(t.Value)), ReferenceEqualityComparer.Instance);

        var messages = new List<string>();
        // Tokens that look like options but are none: either unmatched, or taken for a positional argument.
        var unknownOptions = parsed.Tokens.Where(t => t.Type == TokenType.Argument && LooksLikeOption(t.Value) && !consumed.Contains(t)).ToList();
        foreach (var token in unknownOptions)
            messages.Add($"{token.Value}: unknown option{Of(command)}{Suggest.DidYouMean(token.Value, OptionNames(parsed.CommandResult))}");

        // A word where a command was expected: the first unmatched one under a command that has subcommands.
        // Under a command that also takes arguments (`report DIR`, `report compare`), a word close to a subcommand's name.
        var subcommands = command.Subcommands.Select(c => c.Name).ToList();
        var unknownCommand = subcommands.Count == 0 ? null
            : command.Arguments.Count == 0 ? parsed.Tokens.FirstOrDefault(t => unmatched.Contains(t) && !LooksLikeOption(t.Value))
            : parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).FirstOrDefault(t => Suggest.Closest(t.Value, subcommands) is not null);
        if (unknownCommand is not null)
            messages.Add($"{unknownCommand.Value}: unknown command{Of(command)}{Suggest.DidYouMean(unknownCommand.Value, subcommands)}" +
                         $" (commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})");

        if (messages.Count > 0) // what else the parser said follows from these (an argument it could not place, no command)
        {
            messages.AddRange(parsed.Errors.Where(e => e.SymbolResult is OptionResult).Select(e => e.Message));
            return messages;
        }
        foreach (var error in parsed.Errors)
        {
            var stray = error.SymbolResult is CommandResult ? parsed.Tokens.FirstOrDefault(t => unmatched.Contains(t) && error.Message.Contains($"'{t.Value}'", StringComparison.Ordinal)) : null;
            messages.Add(stray is not null ? $"{stray.Value}: unexpected argument{Of(command)}{Usage(command)}" : error.Message);
        }
        return messages;
    }

    /// <summary>"--bogus", "-x": an option's shape; "-5" (a negative number) and "-" (stdin) are values.</summary>
    private static bool LooksLikeOption(string value) => value.Length > 1 && value[0] == '-' && (value[1] == '-' || char.IsLetter(value[1]));

    private static string Of(Command command) => command is RootCommand ? "" : $" of '{command.Name}'";

    private static string Usage(Command command) => command.Arguments.Count == 0
        ? " (it takes no arguments)"
        : $" (it takes {string.Join(" ", command.Arguments.Select(a => a.Name))})";

    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var option in c.Command.Options.Where(o => ReferenceEquals(r, result) || o.Recursive))
                {
                    yield return option.Name;
                    foreach (var alias in option.Aliases) yield return alias;
                }
    }

    private static IEnumerable<OptionResult> OptionResults(SymbolResult result)
    {
        if (result is OptionResult option) yield return option;
        if (result is CommandResult command)
            foreach (var child in command.Children)
                foreach (var o in OptionResults(child)) yield return o;
    }
}

/// <summary>Parsers for typed options: the error names the option and the value, never a .NET type.</summary>
public static class OptionValues
{
    public static Option<T> Whole<T>(this Option<T> option) where T : struct, IBinaryInteger<T>
    {
        option.CustomParser = result => Parse<T>(option, result) ?? option.DefaultValueFactory?.Invoke(result) ?? default;
        return option;
    }

    public static Option<T?> WholeOrNone<T>(this Option<T?> option) where T : struct, IBinaryInteger<T>
    {
        option.CustomParser = result => Parse<T>(option, result);
        return option;
    }

    public static Option<double> Number(this Option<double> option)
    {
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return option.DefaultValueFactory?.Invoke(result) ?? 0;
            var text = result.Tokens[^1].Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
            result.AddError($"{option.Name}: expected a number such as 2 or 0.5, got {Excerpt.Quote(text)}");
            return 0;
        };
        return option;
    }

    private static T? Parse<T>(Option option, ArgumentResult result) where T : struct, IBinaryInteger<T>
    {
        if (result.Tokens.Count == 0) return null;
        var text = result.Tokens[^1].Value;
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{option.Name}: expected a whole number, got {Excerpt.Quote(text)}");
        return null;
    }
}
