using SimCluster.Abstractions.Security;

namespace SimCluster.Scenarios.Yaml;

/// <summary>Collects every error of one load, so binding goes on after a problem and reports them all.</summary>
internal sealed class Diagnostics
{
    public const string SetSource = "--set";

    private readonly List<ScenarioError> errors = [];

    public int Count => errors.Count;

    /// <summary>Key path shown for problems with the document as a whole.</summary>
    public const string RootKey = "(root)";

    public void Add(YNode at, string key, string message) => Add(at.Source, at.Line, at.Column, key, message);

    public void Add(string source, int line, int column, string key, string message) =>
        errors.Add(new ScenarioError(source, line, column, key.Length == 0 ? RootKey : key, Secrets.RedactMessage(key, message))); // errors quote values

    /// <summary>File errors in file order first, then override errors in the order the overrides were given.</summary>
    public IReadOnlyList<ScenarioError> Sorted() =>
        errors.OrderBy(e => e.Source == SetSource ? 1 : 0)
              .ThenBy(e => e.Source == SetSource ? 0 : e.Line)
              .ThenBy(e => e.Source == SetSource ? 0 : e.Column)
              .ToList();
}
