namespace SimCluster.Scenarios;

/// <summary>
/// One problem in a scenario. <see cref="Source"/> is the file (or <c>--set</c> for an override, where
/// Line is 1 and Column the position in the override text); <see cref="Key"/> is the key path, such as
/// <c>population[1].flapping.cycles</c>. Line and Column are 1-based (0 when there is no position, such as
/// a file that cannot be read).
/// </summary>
public sealed record ScenarioError(string Source, int Line, int Column, string Key, string Message)
{
    public override string ToString() => $"{Source}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>
/// A setting that is valid but has no effect as written, such as a key another setting makes the run ignore.
/// Same position and key as <see cref="ScenarioError"/>; a warning never makes a scenario invalid.
/// </summary>
public sealed record ScenarioWarning(string Source, int Line, int Column, string Key, string Message)
{
    public override string ToString() => $"{Source}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>The scenario when it is valid, every error found (not just the first), and every warning.</summary>
public sealed record ScenarioLoadResult(Scenario? Scenario, IReadOnlyList<ScenarioError> Errors, IReadOnlyList<ScenarioWarning> Warnings)
{
    public bool Ok => Errors.Count == 0 && Scenario is not null;
}
