namespace SimCluster.Abstractions.Runs;

/// <summary>
/// The runs started through the silos' control API, one registry per cluster (key 0): whichever silo a
/// request reaches lists, follows, stops and fetches any of them. In memory only: the report folder on the
/// silo that ran it stays the record.
/// </summary>
public interface IApiRunsGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a run (before it starts); the oldest runs beyond the registry's bound are forgotten.</summary>
    Task Register(string runId, DateTime startedAtUtc);

    /// <summary>The run ids known, oldest first.</summary>
    Task<string[]> List();
}

/// <summary>
/// One run started through the control API (key: the run id). The silo executing the run (its owner) is the
/// only writer: it publishes the run's state and its numbered events every second, and the run's report files
/// at the end. Any silo reads it.
/// </summary>
public interface IApiRunGrain : IGrainWithStringKey
{
    /// <summary>The run as it stands and its events since the last call (ids ascending); true once a stop was asked for.</summary>
    Task<bool> Publish(ApiRunRecord record, ApiRunEvent[] events);

    /// <summary>The outcome, the "completed" event (the stream's last) and the report files (null when the run wrote none).</summary>
    Task Finish(ApiRunRecord record, ApiRunEvent completed, ApiReportFiles? files);

    /// <summary>Null for a run this cluster does not know (or forgot).</summary>
    Task<ApiRunRecord?> Get();

    /// <summary>
    /// The events after <paramref name="afterId"/>, waiting up to <paramref name="wait"/> for one when there is none
    /// yet. A null <paramref name="afterId"/> (a new stream) starts from the latest of each kind instead of the
    /// whole history. Null for an unknown run.
    /// </summary>
    Task<ApiRunEventPage?> Read(long? afterId, TimeSpan wait);

    /// <summary>Asks the owner to stop the run (it learns so on its next publish); the run as it stands, or null when unknown.</summary>
    Task<ApiRunRecord?> RequestStop();

    /// <summary>One of the report's files; null until the run has finished with a report.</summary>
    Task<string?> ReportFile(ApiReportFormat format);

    /// <summary>Drops the run (the registry's bound): the grain deactivates.</summary>
    Task Forget();
}

/// <summary>One run's state as the control API shows it (GET /api/runs/{id}).</summary>
[GenerateSerializer, Immutable]
public sealed record ApiRunRecord
{
    [Id(0)] public required string RunId { get; init; }
    /// <summary>The silo executing the run (its address).</summary>
    [Id(1)] public required string Silo { get; init; }
    [Id(2)] public required DateTime StartedAtUtc { get; init; }
    [Id(3)] public RunProgress? Progress { get; init; }
    /// <summary>Set once the run is over.</summary>
    [Id(4)] public int? ExitCode { get; init; }
    /// <summary>The report's verdict once over; null when the run ended without a report.</summary>
    [Id(5)] public string? Verdict { get; init; }
    /// <summary>What the run wrote to its stderr (errors and warnings), once over.</summary>
    [Id(6)] public string? Errors { get; init; }
    /// <summary>The report folder on <see cref="Silo"/>'s file system.</summary>
    [Id(7)] public required string ReportFolder { get; init; }
    /// <summary>The scenario's validation warnings (valid settings with no effect as written).</summary>
    [Id(8)] public ApiRunWarning[] Warnings { get; init; } = [];
    [Id(9)] public bool StopRequested { get; init; }
}

/// <summary>A scenario warning: where (file, line, column, key) and what.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiRunWarning(
    [property: Id(0)] string Source,
    [property: Id(1)] int Line,
    [property: Id(2)] int Column,
    [property: Id(3)] string Key,
    [property: Id(4)] string Message);

/// <summary>What the event stream of a run carries, by name.</summary>
public enum ApiRunEventKind { Progress, Cases, Completed }

/// <summary>One server-sent event of a run: its id (1, 2, 3... in the order the owner published them), kind and JSON data.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiRunEvent(
    [property: Id(0)] long Id,
    [property: Id(1)] ApiRunEventKind Kind,
    [property: Id(2)] string Data);

/// <summary>Events of a run's stream, and whether the stream has ended (its "completed" event is in the log).</summary>
[GenerateSerializer, Immutable]
public sealed record ApiRunEventPage(
    [property: Id(0)] ApiRunEvent[] Events,
    [property: Id(1)] bool Ended);

public enum ApiReportFormat { Json, Html, Junit }

/// <summary>The files of a finished run's report folder, as text.</summary>
[GenerateSerializer, Immutable]
public sealed record ApiReportFiles
{
    [Id(0)] public required string Json { get; init; }
    [Id(1)] public string? Html { get; init; }
    [Id(2)] public string? Junit { get; init; }

    public string? Get(ApiReportFormat format) => format switch
    {
        ApiReportFormat.Json => Json,
        ApiReportFormat.Html => Html,
        ApiReportFormat.Junit => Junit,
        _ => null,
    };
}
