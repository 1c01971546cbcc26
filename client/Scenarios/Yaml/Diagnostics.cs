using SimCluster.Abstractions.Security;

namespace SimCluster.Scenarios.Yaml;

/// <summary>
/// Collects every error and warning of one load, so binding goes on after a problem and reports them all.
/// <see cref="Count"/> counts errors only: a warning never stops binding.
/// </summary>
internal sealed class Diagnostics
{
    public const string SetSource = ScenarioOverride.SetSource;

    /// <summary>An override from the command line (--set, --duration, ...) rather than the file.</summary>
    public static bool IsOverride(string source) => source.StartsWith("--", StringComparison.Ordinal);

    private readonly List<ScenarioError> errors = [];
    private readonly List<ScenarioWarning> warnings = [];

    public int Count => errors.Count;

    /// <summary>Key path shown for problems with the document as a whole.</summary>
    public const string RootKey = "(root)";

    public void Add(YNode at, string key, string message) => Add(at.Source, at.Line, at.Column, key, message);

    public void Add(string source, int line, int column, string key, string message) =>
        errors.Add(new ScenarioError(source, line, column, key.Length == 0 ? RootKey : key, Secrets.RedactMessage(key, message))); // errors quote values

    public void Warn(YNode at, string key, string message) => Warn(at.Source, at.Line, at.Column, key, message);

    public void Warn(string source, int line, int column, string key, string message) =>
        warnings.Add(new ScenarioWarning(source, line, column, key.Length == 0 ? RootKey : key, Secrets.RedactMessage(key, message)));

    /// <summary>File errors in file order first, then override errors in the order the overrides were given.</summary>
    public IReadOnlyList<ScenarioError> Sorted() => InFileOrder(errors, e => (e.Source, e.Line, e.Column));

    /// <summary>Warnings in the same order as <see cref="Sorted"/>.</summary>
    public IReadOnlyList<ScenarioWarning> SortedWarnings() => InFileOrder(warnings, w => (w.Source, w.Line, w.Column));

    private static List<T> InFileOrder<T>(List<T> items, Func<T, (string Source, int Line, int Column)> at) =>
        items.OrderBy(i => IsOverride(at(i).Source) ? 1 : 0)
             .ThenBy(i => IsOverride(at(i).Source) ? 0 : at(i).Line)
             .ThenBy(i => IsOverride(at(i).Source) ? 0 : at(i).Column)
             .ToList();
}
