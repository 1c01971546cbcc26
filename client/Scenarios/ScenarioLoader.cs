using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Entry point: YAML text -> node tree (with positions) -> <c>--set</c> overrides applied to the tree ->
/// binding and validation into a <see cref="Scenario"/>. Every stage adds to one error list, so a user
/// sees all problems of a file at once, each with file, line, column and key path.
/// </summary>
public static class ScenarioLoader
{
    public static ScenarioLoadResult LoadFile(string path, IReadOnlyList<string>? setOverrides = null, ScenarioVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var why = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read the file: {e.Message}";
            return new ScenarioLoadResult(null, [new ScenarioError(path, 0, 0, "(file)", why)]);
        }
        return Parse(text, path, setOverrides, vocabulary);
    }

    public static ScenarioLoadResult Parse(string yaml, string sourceName, IReadOnlyList<string>? setOverrides = null, ScenarioVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var diag = new Diagnostics();

        var root = YamlTree.Load(yaml, sourceName, diag);
        if (root is null)
            return Done(null, diag);    // syntax error or empty file: nothing to bind

        foreach (var set in setOverrides ?? [])
            root = Overrides.Apply(root, set, diag);

        var scenario = ScenarioBinder.Bind(root, sourceName, vocabulary ?? ScenarioVocabulary.Default, diag);
        return Done(scenario, diag);
    }

    private static ScenarioLoadResult Done(Scenario? scenario, Diagnostics diag)
    {
        var errors = diag.Sorted();
        return new ScenarioLoadResult(errors.Count == 0 ? scenario : null, errors);
    }
}
