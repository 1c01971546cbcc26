namespace SimCluster.Abstractions.Runs;

/// <summary>
/// One group's measurements on one silo since the previous collection. Counters and close codes are
/// cumulative (a lost collection loses nothing); trends are interval histograms (HistogramCodec encoding),
/// so merging them adds every sample exactly once.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupSnapshot
{
    [Id(0)] public required string Group { get; init; }
    [Id(1)] public required Dictionary<string, long> Counters { get; init; }
    [Id(2)] public required Dictionary<string, byte[]> TrendIntervals { get; init; }
    [Id(3)] public required Dictionary<string, long> CloseCodes { get; init; }
    [Id(4)] public int Open { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record SiloSnapshot
{
    [Id(0)] public required string Silo { get; init; }
    [Id(1)] public required GroupSnapshot[] Groups { get; init; }
    [Id(2)] public int ClientsArmed { get; init; }
    [Id(3)] public int ClientsStarted { get; init; }
    [Id(4)] public int ClientsFinished { get; init; }
}

public enum RunPhase { Arming, Running, Stopping, Completed, Failed }

/// <summary>What the CLI shows while a run goes.</summary>
[GenerateSerializer, Immutable]
public sealed record RunProgress
{
    [Id(0)] public required RunPhase Phase { get; init; }
    [Id(1)] public double ElapsedSeconds { get; init; }
    [Id(2)] public int Planned { get; init; }
    [Id(3)] public int Started { get; init; }
    [Id(4)] public int Open { get; init; }
    [Id(5)] public long Connects { get; init; }
    [Id(6)] public long ConnectFailures { get; init; }
    [Id(7)] public long Disconnects { get; init; }
    [Id(8)] public long Reconnects { get; init; }
    [Id(9)] public long MessagesSent { get; init; }
    [Id(10)] public long MessagesReceived { get; init; }
    [Id(11)] public double MessagesPerSecond { get; init; }
    [Id(12)] public double RttP95Ms { get; init; }
    [Id(13)] public long MessagesLost { get; init; }
    [Id(14)] public string? Message { get; init; }
    [Id(15)] public int Silos { get; init; }
    [Id(16)] public long ForcedDrops { get; init; }
}

/// <summary>One second of the run, for the report's timeline.</summary>
[GenerateSerializer, Immutable]
public sealed record TimelinePoint
{
    [Id(0)] public int T { get; init; }
    [Id(1)] public int Open { get; init; }
    [Id(2)] public long Connects { get; init; }
    [Id(3)] public long Disconnects { get; init; }
    [Id(4)] public long MessagesSent { get; init; }
    [Id(5)] public long MessagesReceived { get; init; }
    [Id(6)] public long MessagesLost { get; init; }
    [Id(7)] public double RttP95Ms { get; init; }
    [Id(8)] public long ConnectFailures { get; init; }
    [Id(9)] public long ForcedDrops { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record GroupResult
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required string Behavior { get; init; }
    [Id(2)] public required int Clients { get; init; }
    [Id(3)] public required Dictionary<string, long> Counters { get; init; }
    /// <summary>Cumulative histograms (microseconds), in HistogramCodec encoding.</summary>
    [Id(4)] public required Dictionary<string, byte[]> Trends { get; init; }
    [Id(5)] public required Dictionary<string, long> CloseCodes { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record SiloResult
{
    [Id(0)] public required string Address { get; init; }
    [Id(1)] public int Clients { get; init; }
    [Id(2)] public bool Lost { get; init; }
}

/// <summary>Everything the cluster measured; the CLI turns it into the report and grades thresholds.</summary>
[GenerateSerializer, Immutable]
public sealed record RunResult
{
    [Id(0)] public required string RunId { get; init; }
    [Id(1)] public required DateTime StartedAtUtc { get; init; }
    [Id(2)] public required DateTime EndedAtUtc { get; init; }
    [Id(3)] public required int Planned { get; init; }
    [Id(4)] public required int Started { get; init; }
    [Id(5)] public required GroupResult[] Groups { get; init; }
    [Id(6)] public required TimelinePoint[] Timeline { get; init; }
    [Id(7)] public required SiloResult[] Silos { get; init; }
    [Id(8)] public string[] Notes { get; init; } = [];
    [Id(9)] public bool Aborted { get; init; }
}
