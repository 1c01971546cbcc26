namespace SimCluster.Scenarios;

/// <summary>
/// One threshold line: <c>reconnect_time{group:flappers}: ["p(95)&lt;500"]</c> gives Metric
/// <c>reconnect_time</c>, Group <c>flappers</c>, Expression <c>p(95)&lt;500</c>. Line and Column point at the
/// expression in the scenario file, for messages about it after the run.
/// </summary>
public sealed record ThresholdSpec
{
    public required string Metric { get; init; }
    /// <summary>Null = the whole run; otherwise a population group's name.</summary>
    public string? Group { get; init; }
    /// <summary>As written in the file.</summary>
    public required string Expression { get; init; }
    public required ThresholdExpression Parsed { get; init; }
    /// <summary>k6's abortOnFail: checked cluster-wide while the run goes; a failure stops the run (exit 99).</summary>
    public bool AbortOnFail { get; init; }
    /// <summary>k6's delayAbortEval: no abort before this much of the run has passed (let metrics settle).</summary>
    public TimeSpan DelayAbortEval { get; init; }
    public int Line { get; init; }
    public int Column { get; init; }
}
