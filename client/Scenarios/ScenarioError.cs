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

/// <summary>The scenario when it is valid, and every error found (not just the first).</summary>
public sealed record ScenarioLoadResult(Scenario? Scenario, IReadOnlyList<ScenarioError> Errors)
{
    public bool Ok => Errors.Count == 0 && Scenario is not null;
}
