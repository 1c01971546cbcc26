using SimCluster.Abstractions.Plans;

namespace SimCluster.Abstractions.Runs;

/// <summary>
/// One group's measurements on one silo since the run began. Counters, close codes and trends (HistogramCodec
/// encoding) are all cumulative: a late or lost collection loses nothing, the latest snapshot of each silo
/// holds every sample exactly once, and merging silos adds their latest snapshots.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupSnapshot
{
    [Id(0)] public required string Group { get; init; }
    [Id(1)] public required Dictionary<string, long> Counters { get; init; }
    [Id(2)] public required Dictionary<string, byte[]> Trends { get; init; }
    [Id(3)] public required Dictionary<string, long> CloseCodes { get; init; }
    [Id(4)] public int Open { get; init; }
    /// <summary>Cumulative counts per disconnect cause (<c>DisconnectCauses</c> labels).</summary>
    [Id(5)] public Dictionary<string, long> Causes { get; init; } = [];
}

[GenerateSerializer, Immutable]
public sealed record SiloSnapshot
{
    [Id(0)] public required string Silo { get; init; }
    [Id(1)] public required GroupSnapshot[] Groups { get; init; }
    [Id(2)] public int ClientsArmed { get; init; }
    [Id(3)] public int ClientsStarted { get; init; }
    [Id(4)] public int ClientsFinished { get; init; }
    /// <summary>Malformed-case results of this silo's attackers so far (cumulative).</summary>
    [Id(5)] public CaseTally[] Cases { get; init; } = [];
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
    /// <summary>The silo holding the run's coordinator: losing it ends the run (the CLI reports that).</summary>
    [Id(40)] public string? CoordinatorSilo { get; init; }
    /// <summary>Clients whose silo was lost, and how many of them were re-activated on surviving silos.</summary>
    [Id(41)] public int LostClients { get; init; }
    [Id(42)] public int ReactivatedClients { get; init; }
    /// <summary>Zombies the server evicted, token refreshes and malformed attacks so far (0 when the run has none).</summary>
    [Id(43)] public long ZombiesEvicted { get; init; }
    [Id(44)] public long TokenRefreshes { get; init; }
    [Id(45)] public long Attacks { get; init; }
    /// <summary>Each silo's own slice of the run's source addresses (empty while arming).</summary>
    [Id(46)] public SiloSourceRange[] SiloSources { get; init; } = [];
    /// <summary>
    /// Malformed cases so far, one per planned case in plan order (empty for a run without attackers): graded
    /// runs that passed and failed, the worst verdict and the case's status (pass, fail, pending).
    /// </summary>
    [Id(47)] public CaseProgress[] Cases { get; init; } = [];
    [Id(48)] public int CasesPassed { get; init; }
    [Id(49)] public int CasesFailed { get; init; }
    [Id(50)] public int CasesPending { get; init; }
    /// <summary>How many times a survivor took the run over after its coordinator's silo was lost.</summary>
    [Id(51)] public int Failovers { get; init; }
    /// <summary>
    /// The coordinator's silo is stopping and the coordinator's final checkpoint is ready: the driver takes it at once
    /// (not at its usual interval), and a survivor carries the run on from it once the silo has left.
    /// </summary>
    [Id(52)] public bool HandingOver { get; init; }
}

/// <summary>One malformed case while the run goes (the report's <c>cases</c> entry, cut down to its verdict counts).</summary>
[GenerateSerializer, Immutable]
public sealed record CaseProgress
{
    [Id(0)] public required string Id { get; init; }
    /// <summary><c>pass</c> (worst verdict OK or NON-STRICT so far), <c>fail</c> (a worse one), <c>pending</c> (not graded yet).</summary>
    [Id(1)] public required string Status { get; init; }
    /// <summary>Graded runs with verdict OK or NON-STRICT.</summary>
    [Id(2)] public long Passed { get; init; }
    /// <summary>Graded runs with verdict WRONG-CODE, UNCLEAN, FAILED or TIMEOUT.</summary>
    [Id(3)] public long Failed { get; init; }
    /// <summary>The worst verdict so far; null while pending.</summary>
    [Id(4)] public string? Worst { get; init; }
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
    /// <summary>Malformed cases started in this second (attack activity).</summary>
    [Id(10)] public long Attacks { get; init; }
    /// <summary>Zombies the server gave up on (evicted) in this second.</summary>
    [Id(11)] public long ZombiesEvicted { get; init; }
    [Id(12)] public long TokenRefreshes { get; init; }
    [Id(13)] public long TokenRefreshFailures { get; init; }
    /// <summary>Each trend with samples in this second: its count and p50/p95/p99 (ms) over those samples.</summary>
    [Id(14)] public Dictionary<string, TrendSecond> Trends { get; init; } = [];
}

/// <summary>One trend's samples within one second of the run (milliseconds).</summary>
[GenerateSerializer, Immutable]
public sealed record TrendSecond
{
    [Id(0)] public long Count { get; init; }
    [Id(1)] public double P50 { get; init; }
    [Id(2)] public double P95 { get; init; }
    [Id(3)] public double P99 { get; init; }
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
    /// <summary>Counts per disconnect cause (<c>DisconnectCauses</c> labels).</summary>
    [Id(6)] public Dictionary<string, long> Causes { get; init; } = [];
}

[GenerateSerializer, Immutable]
public sealed record SiloResult
{
    [Id(0)] public required string Address { get; init; }
    [Id(1)] public int Clients { get; init; }
    [Id(2)] public bool Lost { get; init; }
    /// <summary>Second of the run at which membership declared this silo dead.</summary>
    [Id(3)] public double? LostAtSeconds { get; init; }
    /// <summary>Clients of lost silos this silo took over (re-activated here).</summary>
    [Id(4)] public int Adopted { get; init; }
    [Id(5)] public bool Coordinator { get; init; }
    /// <summary>This silo's slice of the run's source addresses ("first-last"); empty when the OS chose them.</summary>
    [Id(6)] public string? SourceRange { get; init; }
    [Id(7)] public long SourceAddresses { get; init; }
    /// <summary>Alive (not declared dead) but silent at the final collection: its numbers since its last answer are missing.</summary>
    [Id(8)] public bool MissedFinalCollection { get; init; }
    /// <summary>
    /// The silo did not confirm that its clients stopped before the final collection: its numbers may have been
    /// read from clients still running (the report is then partial).
    /// </summary>
    [Id(9)] public bool StopUnconfirmed { get; init; }
    /// <summary>When the collection this silo last answered began (seconds of the run): its numbers are as of then.</summary>
    [Id(10)] public double? LastCollectedAtSeconds { get; init; }
    /// <summary>A lost silo's clients when it was lost (its own and those it had adopted).</summary>
    [Id(11)] public int LostClients { get; init; }
    /// <summary>When the survivors had re-activated a lost silo's clients (seconds of the run); null if they were not.</summary>
    [Id(12)] public double? ReactivatedAtSeconds { get; init; }
    /// <summary>
    /// A lost silo's hole: what its clients may have counted between its last collection and its death, never
    /// reported (per counter: the silo's peak rate over that window, connects plus one in flight per client).
    /// </summary>
    [Id(13)] public Dictionary<string, long> HoleAtMost { get; init; } = [];
    /// <summary>
    /// Asked to stop mid-run (SIGTERM, a pod deletion), it stopped its clients and delivered its final numbers at
    /// this second of the run (null unless it drained): nothing of it is missing.
    /// </summary>
    [Id(14)] public double? DrainedAtSeconds { get; init; }
    /// <summary>A drained silo's clients when it drained, and how many of them the survivors started again.</summary>
    [Id(15)] public int DrainedClients { get; init; }
    [Id(16)] public int MigratedClients { get; init; }
    /// <summary>Clients of drained silos this silo took over.</summary>
    [Id(17)] public int MigratedIn { get; init; }
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
    /// <summary>Set when the run had malformed attackers: case verdicts and collateral damage.</summary>
    [Id(10)] public MalformedResult? Malformed { get; init; }
    /// <summary>Event timelines of the sampled clients (<c>RunPlan.TimelineClients</c>), in client order.</summary>
    [Id(11)] public ClientTimeline[] Timelines { get; init; } = [];
    /// <summary>Why the run was aborted (the reason given to <c>Abort</c>, or the failure); null when it was not.</summary>
    [Id(12)] public string? AbortReason { get; init; }
    /// <summary>
    /// The run's active time in seconds: from the start instant until the clients were told to stop (the planned
    /// duration, or less when the run was aborted), or until now in an interim result. Counter rates divide by it.
    /// </summary>
    [Id(13)] public double ActiveSeconds { get; init; }
    /// <summary>Each time the coordinator's silo was lost and a survivor took the run over.</summary>
    [Id(14)] public CoordinatorFailover[] Failovers { get; init; } = [];
}

/// <summary>One thing that happened to a sampled client: a state transition or a notable event.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientEvent
{
    /// <summary>Milliseconds since the run's start instant (negative before the client's own start).</summary>
    [Id(0)] public required double AtMs { get; init; }
    /// <summary>
    /// connecting, open, connect-failed, dropped, waiting, gave-up, stopping, closed, zombie-start,
    /// zombie-evicted, zombie-undetected, switch, switch-failed, resumed.
    /// </summary>
    [Id(1)] public required string Kind { get; init; }
    /// <summary>The client's network state after the event (ClientState name).</summary>
    [Id(2)] public required string State { get; init; }
    /// <summary>What else is known: the disconnect cause, the attempt number, the backoff delay, the interfaces.</summary>
    [Id(3)] public string? Detail { get; init; }
}

/// <summary>The bounded event list of one sampled client.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientTimeline
{
    [Id(0)] public required int Client { get; init; }
    [Id(1)] public required string Group { get; init; }
    [Id(2)] public required string Behavior { get; init; }
    [Id(3)] public required ClientEvent[] Events { get; init; }
    /// <summary>Events not kept because the list reached its cap.</summary>
    [Id(4)] public int Dropped { get; init; }
}

/// <summary>
/// One malformed case across every attacker that ran it: how often each verdict came out, the worst verdict
/// and what was observed in a run that got it. Cumulative, so the latest tally per silo wins and silos add up.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CaseTally
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Title { get; init; }
    [Id(2)] public required string Expected { get; init; }
    [Id(3)] public string RfcSection { get; init; } = "";
    /// <summary>Graded runs per verdict name (OK, NON-STRICT, WRONG-CODE, UNCLEAN, FAILED, TIMEOUT).</summary>
    [Id(4)] public Dictionary<string, long> Verdicts { get; init; } = [];
    /// <summary>The worst verdict seen; null while no run was graded.</summary>
    [Id(5)] public string? Worst { get; init; }
    /// <summary>What a run with the worst verdict observed.</summary>
    [Id(6)] public string Observed { get; init; } = "";
    /// <summary>Distinct attacker clients that graded this case.</summary>
    [Id(7)] public int Clients { get; init; }
    /// <summary>Runs that could not even connect (the server refused the normal upgrade or the TCP connect).</summary>
    [Id(8)] public long Unreachable { get; init; }
    /// <summary>Times the server stopped accepting connections right after this case (a crash or hang suspect).</summary>
    [Id(9)] public long ServerDownAfter { get; init; }
    /// <summary>Runs the tool itself could not complete (never a verdict on the server).</summary>
    [Id(10)] public long ToolErrors { get; init; }
    [Id(11)] public string? LastError { get; init; }
    /// <summary>False when every graded run found the case not applicable (F23 without permessage-deflate).</summary>
    [Id(12)] public bool Applicable { get; init; } = true;
}

/// <summary>A group's health before and during the attack: the collateral damage of malformed input.</summary>
[GenerateSerializer, Immutable]
public sealed record AttackPhaseStats
{
    /// <summary>message_rtt samples before the first attack second (HistogramCodec encoding).</summary>
    [Id(0)] public byte[] RttBefore { get; init; } = [];
    /// <summary>message_rtt samples from the first attack second on.</summary>
    [Id(1)] public byte[] RttDuring { get; init; } = [];
    [Id(2)] public long DisconnectsBefore { get; init; }
    [Id(3)] public long DisconnectsDuring { get; init; }
    [Id(4)] public long FalseDisconnectsDuring { get; init; }
    [Id(5)] public long MessagesLostDuring { get; init; }
}

/// <summary>Did the server still accept a new connection (and answer a PING) after the attack.</summary>
[GenerateSerializer, Immutable]
public sealed record ServerProbeResult
{
    [Id(0)] public required bool Accepted { get; init; }
    [Id(1)] public required string Detail { get; init; }
    [Id(2)] public double Milliseconds { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record MalformedResult
{
    [Id(0)] public CaseTally[] Cases { get; init; } = [];
    /// <summary>The first second of the run in which an attacker started a case; null when none did.</summary>
    [Id(1)] public int? FirstAttackSecond { get; init; }
    /// <summary>Per group (every group of the run): health before vs during the attack.</summary>
    [Id(2)] public Dictionary<string, AttackPhaseStats> Groups { get; init; } = [];
    /// <summary>A fresh connection after every client stopped; null when it was not attempted.</summary>
    [Id(3)] public ServerProbeResult? AfterRun { get; init; }
    /// <summary>The healthy canary groups split off the malformed groups.</summary>
    [Id(4)] public string[] CanaryGroups { get; init; } = [];
}
