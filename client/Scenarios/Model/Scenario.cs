using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>
/// A validated scenario file. The loader only hands one out when the file had no errors, so every
/// value here is already checked (ranges, names, shares summing to 100%, per-group client counts).
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public required TargetSpec Target { get; init; }
    public required int Clients { get; init; }
    public required TimeSpan Duration { get; init; }
    public TimeSpan RampUp { get; init; } = TimeSpan.Zero;
    /// <summary>k6-style stages, targets already resolved to client counts (a percentage of <see cref="Clients"/> in the file); empty = <see cref="RampUp"/>.</summary>
    public IReadOnlyList<StageSpec> Stages { get; init; } = [];
    /// <summary>At most this many new clients start per second (an arrival rate); null = as fast as the shape plans.</summary>
    public double? ConnectRate { get; init; }
    /// <summary>Null when the file gave none: the runner draws one and writes it to the report.</summary>
    public long? Seed { get; init; }
    public ProtocolKind Protocol { get; init; } = ProtocolKind.Echo;
    /// <summary>The code that drives each client's WebSocket (lean: SimCluster's own receive loop, about 20 KB less per client).</summary>
    public ClientDriver Driver { get; init; } = ClientDrivers.Default;
    public MessagesSpec Messages { get; init; } = new();
    /// <summary>The frames of <c>protocol: json</c> (the <c>json</c> block, already in plan form: nothing in it is resolved later); null for every other protocol.</summary>
    public JsonPlan? Json { get; init; }
    public HeartbeatSpec Heartbeat { get; init; } = new();
    public NetworkSpec Network { get; init; } = new();
    public ReconnectSpec Reconnect { get; init; } = new();
    public AuthSpec? Auth { get; init; }
    /// <summary>The hub method and connection rules of <c>protocol: signalr</c>.</summary>
    public SignalrSpec Signalr { get; init; } = new();
    /// <summary>The <c>connect:</c> block every protocol shares (subprotocols, headers, Origin, query); empty when absent.</summary>
    public ConnectSpec Connect { get; init; } = new();
    /// <summary>The Socket.IO block (protocol socketio); its defaults otherwise.</summary>
    public SocketioSpec Socketio { get; init; } = new();
    /// <summary>The <c>graphqlWs:</c> block (protocol graphql-ws); null when absent.</summary>
    public GraphqlWsSpec? GraphqlWs { get; init; }
    /// <summary>Never empty when loaded: a file without <c>population</c> gets one steady group with every client.</summary>
    public IReadOnlyList<GroupSpec> Population { get; init; } = [];
    public IReadOnlyList<ThresholdSpec> Thresholds { get; init; } = [];
    /// <summary>The <c>allowTargets</c> entries as written (hosts, host:port or URLs); empty = the runner's default policy.</summary>
    public IReadOnlyList<string> AllowTargets { get; init; } = [];
    /// <summary>Options of the reference target when <c>target: embedded</c>.</summary>
    public EmbeddedTargetSpec EmbeddedTarget { get; init; } = new();
    /// <summary>How the run uses a silo cluster.</summary>
    public ClusterSpec Cluster { get; init; } = new();
    /// <summary>What report.json keeps beyond the metrics (client timelines).</summary>
    public ReportSpec Report { get; init; } = new();
    /// <summary>The file the scenario came from (or the source name given to <see cref="ScenarioLoader.Parse"/>).</summary>
    public string SourcePath { get; init; } = "";

    /// <summary>The planned load shape (when each client starts and stops), as the cluster will run it.</summary>
    public SimCluster.Abstractions.Plans.LoadShape Shape() =>
        new(Clients, Duration, RampUp, [.. Stages.Select(s => new SimCluster.Abstractions.Plans.StagePlan(s.Duration, s.Clients))], ConnectRate ?? 0);
}

/// <summary>One stage of the load shape: over <see cref="Duration"/> the planned client count moves in a line to <see cref="Clients"/>.</summary>
public sealed record StageSpec(TimeSpan Duration, int Clients);

/// <summary>Where clients connect: the reference target the run starts itself, or one or more WebSocket URLs.</summary>
public sealed record TargetSpec
{
    public bool IsEmbedded { get; init; }
    /// <summary>Empty when <see cref="IsEmbedded"/>; otherwise ws:// or wss:// URLs, clients spread over them.</summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [];

    public static TargetSpec Embedded { get; } = new() { IsEmbedded = true };
    public static TargetSpec ForUrls(params Uri[] urls) => new() { Urls = urls };
}

/// <summary><c>cluster:</c> what a multi-silo run does when a silo is lost mid-run.</summary>
public sealed record ClusterSpec
{
    /// <summary><c>onSiloLoss: reactivate</c> (default): the lost silo's clients are re-activated on the survivors; <c>count</c>: only counted as lost.</summary>
    public bool ReactivateLostClients { get; init; } = true;
}
