using SimCluster.Scenarios.Yaml;

namespace SimCluster.Scenarios;

/// <summary>
/// Entry point: YAML text -> node tree (with positions) -> <c>--set</c> overrides applied to the tree ->
/// binding and validation into a <see cref="Scenario"/>. Every stage adds to one error list (and one
/// warning list), so a user sees all problems of a file at once, each with file, line, column and key path.
/// </summary>
public static class ScenarioLoader
{
    public static ScenarioLoadResult LoadFile(string path, IReadOnlyList<string>? setOverrides = null, ScenarioVocabulary? vocabulary = null) =>
        LoadFile(path, ScenarioOverride.Sets(setOverrides), vocabulary);

    public static ScenarioLoadResult LoadFile(string path, IReadOnlyList<ScenarioOverride> overrides, ScenarioVocabulary? vocabulary)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = ReadBounded(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ScenarioLoadResult(null, [new ScenarioError(path, 0, 0, ScenarioError.FileKey, Unreadable(path, e))], []);
        }
        return Parse(text, path, overrides, vocabulary);
    }

    /// <summary>Why a scenario file could not be read, naming the full path looked at when the one given was relative.</summary>
    private static string Unreadable(string path, Exception e)
    {
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException) { full = path; }
        var at = full == path ? "" : $" ({full})";
        if (Directory.Exists(path)) return $"is a folder, not a scenario file{at}";
        return e switch
        {
            FileNotFoundException or DirectoryNotFoundException => $"file not found{at}",
            TooLargeException => e.Message,
            UnauthorizedAccessException => $"cannot read the file: permission denied{at}",
            _ => $"cannot read the file{at}: {e.Message}",
        };
    }

    public static ScenarioLoadResult Parse(string yaml, string sourceName, IReadOnlyList<string>? setOverrides = null, ScenarioVocabulary? vocabulary = null) =>
        Parse(yaml, sourceName, ScenarioOverride.Sets(setOverrides), vocabulary);

    public static ScenarioLoadResult Parse(string yaml, string sourceName, IReadOnlyList<ScenarioOverride> overrides, ScenarioVocabulary? vocabulary)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var diag = new Diagnostics();
        if (yaml.Length > ScenarioLimits.MaxBytes)
        {
            diag.Add(sourceName, 1, 1, Diagnostics.RootKey, ScenarioLimits.TooLarge(yaml.Length));
            return Done(null, diag);
        }

        var root = YamlTree.Load(yaml, sourceName, diag);
        if (root is null)
            return Done(null, diag);    // syntax error or empty file: nothing to bind

        foreach (var set in overrides)
            root = Overrides.Apply(root, set.Text, diag, set.Source);

        var scenario = ScenarioBinder.Bind(root, sourceName, vocabulary ?? ScenarioVocabulary.Default, diag);
        if (scenario is not null) WarnAbsoluteCounts(scenario, [.. overrides.Select(o => o.Text)], diag);
        return Done(scenario, diag);
    }

    /// <summary>Overrides that leave the plan's size alone: where the clients connect, the seed.</summary>
    private static readonly string[] PlanNeutral = ["target=", "seed=", "allowTargets", "embeddedTarget.", "report."];

    /// <summary>
    /// An absolute count (<c>forced_drops: count==20000</c>) is written for the file's own plan: once
    /// <c>--clients</c>, <c>--duration</c> or a <c>--set</c> changed that plan, it cannot be expected to hold. Each
    /// such threshold is a warning naming the overrides and the relative form that scales (<c>count&gt;=20*clients</c>).
    /// </summary>
    private static void WarnAbsoluteCounts(Scenario scenario, IReadOnlyList<string> overrides, Diagnostics diag)
    {
        var changing = overrides.Where(o => !PlanNeutral.Any(n => o.StartsWith(n, StringComparison.Ordinal))).ToList();
        if (changing.Count == 0) return;
        foreach (var t in scenario.Thresholds)
        {
            var e = t.Parsed;
            if (e.Relative is not null || e.Limit == 0 || e.Aggregation is not (Aggregation.Count or Aggregation.Value)) continue;
            if (!SimCluster.Abstractions.Metrics.MetricNames.All.TryGetValue(t.Metric, out var kind) || kind != SimCluster.Abstractions.Metrics.MetricKind.Counter) continue;
            // count<1, count<=0 and count==0 hold at any size; other absolute counts were sized for the file's plan.
            if (e.Limit <= 1 && e.Operator is ComparisonOperator.Less or ComparisonOperator.LessOrEqual) continue;
            diag.Warn(scenario.SourcePath, t.Line, t.Column, $"thresholds.{(t.Group is null ? t.Metric : $"{t.Metric}{{group:{t.Group}}}")}",
                $"{t.Expression} is an absolute count written for the file's plan, and the override(s) {string.Join(", ", changing)} changed the plan: " +
                $"it may not hold; a limit relative to the plan scales with it, like {ThresholdRules.Spelling(e.Aggregation)}>=K*clients (K: the count per client the file meant)");
        }
    }

    /// <summary>
    /// Reads at most <see cref="ScenarioLimits.MaxBytes"/> (plus one, to tell): a device such as /dev/zero, a
    /// pipe or a huge file is refused without being read to its end.
    /// </summary>
    private static string ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > ScenarioLimits.MaxBytes) throw new TooLargeException(ScenarioLimits.TooLarge(stream.Length));
        var bytes = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while (bytes.Length <= ScenarioLimits.MaxBytes && (read = stream.Read(chunk, 0, chunk.Length)) > 0) bytes.Write(chunk, 0, read);
        if (bytes.Length > ScenarioLimits.MaxBytes) throw new TooLargeException(ScenarioLimits.TooLarge(-1));
        bytes.Position = 0;
        using var reader = new StreamReader(bytes, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private sealed class TooLargeException(string message) : IOException(message);

    private static ScenarioLoadResult Done(Scenario? scenario, Diagnostics diag)
    {
        // A shortcut's position would be one in "duration=5x", text the user never typed: it is left out.
        static bool Shortcut(string source) => Diagnostics.IsOverride(source) && source != Diagnostics.SetSource;
        var errors = diag.Sorted().Select(e => Shortcut(e.Source) ? e with { Line = 0, Column = 0 } : e).ToList();
        var warnings = diag.SortedWarnings().Select(w => Shortcut(w.Source) ? w with { Line = 0, Column = 0 } : w).ToList();
        return new ScenarioLoadResult(errors.Count == 0 ? scenario : null, errors, warnings);
    }
}
