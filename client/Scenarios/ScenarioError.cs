namespace SimCluster.Scenarios;

/// <summary>
/// One problem in a scenario. <see cref="Source"/> is the file (or <c>--set</c> for an override, where
/// Line is 1 and Column the position in the override text); <see cref="Key"/> is the key path, such as
/// <c>population[1].flapping.cycles</c>. Line and Column are 1-based (0 when there is no position, such as
/// a file that cannot be read).
/// </summary>
public sealed record ScenarioError(string Source, int Line, int Column, string Key, string Message)
{
    /// <summary>The key of a problem with the file itself (missing, unreadable, too large): no key is shown for it.</summary>
    public const string FileKey = "(file)";

    public override string ToString() => Format(Source, Line, Column, Key, Message);

    /// <summary>
    /// "file:line:column: key: message"; without a position "file: message" (a file that cannot be read) or
    /// "--duration: message" (a command-line shortcut, which names its key itself).
    /// </summary>
    internal static string Format(string source, int line, int column, string key, string message)
    {
        var at = line > 0 ? $"{source}:{line}:{column}" : source;
        var keyText = key == FileKey || source == $"--{key}" ? "" : $"{key}: ";
        return $"{at}: {keyText}{message}";
    }
}

/// <summary>
/// One override of a scenario key: <c>KEY=VALUE</c> and where it came from, <c>--set</c> or a command-line
/// shortcut such as <c>--duration</c> (whose errors are labelled with it, without a position).
/// </summary>
public sealed record ScenarioOverride(string Text, string Source = ScenarioOverride.SetSource)
{
    public const string SetSource = "--set";

    /// <summary>A shortcut option for one key: <c>--duration 30s</c> is <c>duration=30s</c>, labelled <c>--duration</c>.</summary>
    public static ScenarioOverride Shortcut(string key, string value) => new($"{key}={value}", $"--{key}");

    public static IReadOnlyList<ScenarioOverride> Sets(IEnumerable<string>? texts) => [.. (texts ?? []).Select(t => new ScenarioOverride(t))];
}

/// <summary>
/// A setting that is valid but has no effect as written, such as a key another setting makes the run ignore.
/// Same position and key as <see cref="ScenarioError"/>; a warning never makes a scenario invalid.
/// </summary>
public sealed record ScenarioWarning(string Source, int Line, int Column, string Key, string Message)
{
    public override string ToString() => ScenarioError.Format(Source, Line, Column, Key, Message);
}

/// <summary>The scenario when it is valid, every error found (not just the first), and every warning.</summary>
public sealed record ScenarioLoadResult(Scenario? Scenario, IReadOnlyList<ScenarioError> Errors, IReadOnlyList<ScenarioWarning> Warnings)
{
    public bool Ok => Errors.Count == 0 && Scenario is not null;
}
