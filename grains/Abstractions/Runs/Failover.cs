using SimCluster.Abstractions.Plans;

namespace SimCluster.Abstractions.Runs;

/// <summary>
/// What a run's coordinator knows, as the driver keeps it every few seconds: enough for a coordinator re-activated
/// on a survivor (its silo lost) to carry the run on. Each silo's latest snapshot is cumulative, so the lost silo's
/// numbers up to its last collection are kept; the survivors' are read again from their agents on the take-over.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunCheckpoint
{
    [Id(0)] public required RunPhase Phase { get; init; }
    [Id(1)] public required DateTime RequestedAtUtc { get; init; }
    [Id(2)] public required DateTime StartsAtUtc { get; init; }
    [Id(3)] public DateTime? ActiveEndedAtUtc { get; init; }
    /// <summary>The silo that held the coordinator when this was taken (parsable address).</summary>
    [Id(4)] public required string CoordinatorSilo { get; init; }
    /// <summary>Every silo's latest snapshot as merged (a drained silo's final one included).</summary>
    [Id(5)] public SiloSnapshot[] Latest { get; init; } = [];
    /// <summary>Timeline points after the second the driver asked from (it keeps the earlier ones).</summary>
    [Id(6)] public TimelinePoint[] Timeline { get; init; } = [];
    [Id(7)] public CheckpointSilo[] Silos { get; init; } = [];
    [Id(8)] public string[] Notes { get; init; } = [];
    [Id(9)] public int LostClients { get; init; }
    [Id(10)] public int ReactivatedClients { get; init; }
    [Id(11)] public CoordinatorFailover[] Failovers { get; init; } = [];
    [Id(12)] public string? AbortReason { get; init; }
    /// <summary>When the latest collection in it began: its numbers are as of then.</summary>
    [Id(13)] public DateTime CollectedAtUtc { get; init; }
    [Id(14)] public int Started { get; init; }
    [Id(15)] public int? FirstAttackSecond { get; init; }
    /// <summary>
    /// Set on the final checkpoint of a coordinator whose silo was asked to stop, once that silo's clients had
    /// stopped, its final numbers were in and its clients were migrated (and the coordinator had stopped collecting):
    /// nothing after it is missing, and a survivor carries the run on from it as a handover, not a loss.
    /// </summary>
    [Id(16)] public DateTime? HandedOverAtUtc { get; init; }
}

/// <summary>One silo of the run in a <see cref="RunCheckpoint"/>: where it sources from, what it runs, what happened to it.</summary>
[GenerateSerializer, Immutable]
public sealed record CheckpointSilo
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required int Slice { get; init; }
    [Id(2)] public required int ArmedClients { get; init; }
    [Id(3)] public required int[] Share { get; init; }
    [Id(4)] public int Adopted { get; init; }
    [Id(5)] public double? LostAtSecond { get; init; }
    [Id(6)] public int? LastAnswerSecond { get; init; }
    [Id(7)] public double? LastCollectedAtSecond { get; init; }
    /// <summary>Its clients' peak per-second rates (what a hole it leaves may hold).</summary>
    [Id(8)] public Dictionary<string, double> PeakRates { get; init; } = [];
    [Id(9)] public int LostClients { get; init; }
    [Id(10)] public double? ReactivatedAtSecond { get; init; }
    [Id(11)] public double? DrainedAtSecond { get; init; }
    [Id(12)] public SiloSnapshot? Final { get; init; }
    [Id(13)] public int DrainedClients { get; init; }
    [Id(14)] public int MigratedClients { get; init; }
    [Id(15)] public int MigratedIn { get; init; }
}

/// <summary>What a driver hands a re-activated coordinator: the plan, the latest checkpoint, and when it saw the old one go.</summary>
[GenerateSerializer, Immutable]
public sealed record RunTakeover
{
    [Id(0)] public required RunPlan Plan { get; init; }
    [Id(1)] public required RunCheckpoint Checkpoint { get; init; }
    /// <summary>The old coordinator's last answer to the driver.</summary>
    [Id(2)] public required DateTime LastAnsweredAtUtc { get; init; }
    /// <summary>When the driver saw the old coordinator gone (a fresh activation answering, empty).</summary>
    [Id(3)] public required DateTime DetectedAtUtc { get; init; }
}

/// <summary>The clients of a run a silo's agent holds (started there and still activated) and its cumulative numbers.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloHolding
{
    [Id(0)] public required int[] Clients { get; init; }
    [Id(1)] public required SiloSnapshot Snapshot { get; init; }
}

/// <summary>
/// The run's coordinator went with its silo (lost, or handed over by a silo asked to stop) and a survivor took the
/// run over (report.json <c>failovers</c>).
/// Seconds are of the run's clock.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CoordinatorFailover
{
    /// <summary>The silo that held the coordinator.</summary>
    [Id(0)] public required string LostSilo { get; init; }
    /// <summary>The silo the coordinator was re-activated on.</summary>
    [Id(1)] public required string NewSilo { get; init; }
    /// <summary>The collection the kept checkpoint's numbers are as of: the lost silo's numbers after it are missing.</summary>
    [Id(2)] public double CheckpointAtSecond { get; init; }
    /// <summary>The old coordinator's last answer to the driver.</summary>
    [Id(3)] public double LastAnsweredAtSecond { get; init; }
    /// <summary>When the driver saw it gone.</summary>
    [Id(4)] public double DetectedAtSecond { get; init; }
    /// <summary>When the new coordinator had read every survivor and carried on collecting.</summary>
    [Id(5)] public double ResumedAtSecond { get; init; }
    /// <summary>Clients no survivor held (the lost silo's), and how many of them the survivors started again.</summary>
    [Id(6)] public int ClientsLost { get; init; }
    [Id(7)] public int ClientsReactivated { get; init; }
    /// <summary>Survivors whose agents reported their clients and numbers on the take-over.</summary>
    [Id(8)] public int SilosRead { get; init; }
    /// <summary>Whether the old coordinator's silo was lost (its numbers since the checkpoint missing) or handed the run over.</summary>
    [Id(9)] public FailoverCause Cause { get; init; }
    /// <summary>A handover: when the old coordinator's final checkpoint was ready (its silo drained); null for a loss.</summary>
    [Id(10)] public double? HandedOverAtSecond { get; init; }
    /// <summary>A handover: the clients of the old coordinator's silo started again on the survivors before it left.</summary>
    [Id(11)] public int ClientsMigrated { get; init; }
}

/// <summary>Why a run's coordinator moved to another silo (report.json <c>failovers[].cause</c>, spelt through <c>Spelling</c>).</summary>
public enum FailoverCause
{
    /// <summary>Its silo went without handing over (killed, crashed, or stopped too late): a hole, its clients lost and re-activated.</summary>
    Lost,
    /// <summary>Its silo was asked to stop and handed the run over: its final numbers in, its clients migrated, nothing missing.</summary>
    Handover,
}
