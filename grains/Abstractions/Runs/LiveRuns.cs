namespace SimCluster.Abstractions.Runs;

/// <summary>
/// The runs the live page (<c>/runs</c> on any silo's HTTP port) can show: the process driving each run (the CLI,
/// or a silo's control API) publishes the run's report so far every second, and its final report at the end.
/// One per cluster (key 0); any silo's HTTP handler reads it, so the page works whichever silo a browser asks.
/// </summary>
public interface ILiveRunsGrain : IGrainWithIntegerKey
{
    Task Publish(LiveRunFrame frame);

    /// <summary>The runs known, newest first, without their reports.</summary>
    Task<LiveRunSummary[]> List();

    /// <summary>The latest frame of a run; null when the run is unknown (or was forgotten).</summary>
    Task<LiveRunFrame?> Get(string runId);
}

/// <summary>One run's report as it stands (report.json's shape, <c>verdict: running</c> until <see cref="Final"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record LiveRunFrame
{
    [Id(0)] public required string RunId { get; init; }
    [Id(1)] public required string Scenario { get; init; }
    /// <summary>arming, running, stopping, completed, failed (RunPhase, lower case).</summary>
    [Id(2)] public required string Phase { get; init; }
    [Id(3)] public required DateTime UpdatedAtUtc { get; init; }
    /// <summary>The report.json text: interim while the run goes, the written report once <see cref="Final"/>.</summary>
    [Id(4)] public required string ReportJson { get; init; }
    /// <summary>True for the last frame: the same report.json the run wrote.</summary>
    [Id(5)] public bool Final { get; init; }
    [Id(6)] public string Verdict { get; init; } = "running";
    [Id(7)] public DateTime StartedAtUtc { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record LiveRunSummary
{
    [Id(0)] public required string RunId { get; init; }
    [Id(1)] public required string Scenario { get; init; }
    [Id(2)] public required string Phase { get; init; }
    [Id(3)] public required string Verdict { get; init; }
    [Id(4)] public required DateTime StartedAtUtc { get; init; }
    [Id(5)] public required DateTime UpdatedAtUtc { get; init; }
}
