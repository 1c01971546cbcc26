using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>
/// One group of clients sharing a behaviour. Exactly the block matching <see cref="Behavior"/> is set
/// (<see cref="Flapping"/> for flapping, and so on); steady groups have none.
/// </summary>
public sealed record GroupSpec
{
    public required string Name { get; init; }
    /// <summary>Fraction of all clients, 0 &lt; share &lt;= 1 (<c>20%</c> in the file is 0.2).</summary>
    public required double Share { get; init; }
    public string Behavior { get; init; } = "steady";
    /// <summary>This group's client count: the scenario's clients split by share (largest remainder), summing to the total.</summary>
    public int Clients { get; init; }
    public FlappingSpec? Flapping { get; init; }
    public ZombieSpec? Zombie { get; init; }
    public SwitchingSpec? Switching { get; init; }
    public MalformedSpec? Malformed { get; init; }
}

/// <summary>Connections that go up and down: up for a drawn time, dropped, down for a drawn time, reconnect.</summary>
public sealed record FlappingSpec
{
    public DurationRange Up { get; init; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
    public DurationRange Down { get; init; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
    /// <summary>How the connection is dropped; more than one entry = a mix, one drawn uniformly per cycle (FlappingBehavior).</summary>
    public IReadOnlyList<DropMode> Drops { get; init; } = [DropMode.Reset];
    /// <summary>The drop mode when there is one; the first of the mix otherwise.</summary>
    public DropMode Drop => Drops.Count > 0 ? Drops[0] : DropMode.Reset;
    /// <summary>Up/down cycles per client; zero = until the run ends.</summary>
    public int Cycles { get; init; } = 20;
}

/// <summary>Clients that turn into zombies (the kinds of grains/Grains/Behaviors/Zombies) and measure how fast the server evicts them.</summary>
public sealed record ZombieSpec
{
    /// <summary>A zombie kind from the vocabulary: silent-app, app-dead, blackhole, half-close, slow-reader, reset.</summary>
    public required string Kind { get; init; }
    /// <summary>Healthy time after connecting, before the client turns zombie.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How long a zombie waits for the server to give up on it.</summary>
    public TimeSpan ObserveFor { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The bound the server is configured for, reported against; null = just measure.</summary>
    public TimeSpan? ExpectDetectWithin { get; init; }
    /// <summary>slow-reader only: bytes read per second; null = the runner's default.</summary>
    public long? ReadBytesPerSecond { get; init; }
}

/// <summary>Clients that hop between simulated network interfaces (link profiles with their own source addresses).</summary>
public sealed record SwitchingSpec
{
    /// <summary>Link profile names, visited in turn. May be empty only with <see cref="NatRebinding"/>.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];
    public DurationRange Every { get; init; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
    public SwitchMode Mode { get; init; } = SwitchMode.BreakBeforeMake;
    /// <summary>Dead time between losing the old path and opening the new one (break-before-make).</summary>
    public TimeSpan Gap { get; init; } = TimeSpan.Zero;
    /// <summary>What the server sees of the abandoned connection.</summary>
    public OldPathFate OldPath { get; init; } = OldPathFate.Blackhole;
    /// <summary>Same address, new source port on each switch (a NAT rebinding).</summary>
    public bool NatRebinding { get; init; }
}

/// <summary>Clients sending malformed input (docs/malformed.md); a share of the group stays healthy as canaries.</summary>
public sealed record MalformedSpec
{
    /// <summary>Case ids (F01..F25, A01..A08, and S01..S03 or G01..G04 with their protocol); <c>all</c> in the file expands to every case for any server plus the protocol's own.</summary>
    public IReadOnlyList<string> Cases { get; init; } = [];
    /// <summary>Fraction of the group that behaves well to measure collateral damage, 0 &lt;= x &lt; 1.</summary>
    public double CanaryShare { get; init; } = 0.2;
}
