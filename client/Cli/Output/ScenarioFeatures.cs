using SimCluster.Scenarios;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Cli.Output;

/// <summary>
/// The behaviours and protocols a scenario uses: what decides which columns the live table has and which
/// metric rows the summary shows (a steady echo run has no switch rows, a zombie run has zombie rows).
/// </summary>
public sealed record ScenarioFeatures
{
    public bool Messages { get; init; }
    public bool Flapping { get; init; }
    public bool Zombies { get; init; }
    public bool Switching { get; init; }
    public bool Malformed { get; init; }
    public bool Session { get; init; }
    public bool Tokens { get; init; }
    public bool Heartbeat { get; init; }

    /// <summary>The tool drops connections on purpose (flapping, switching): drop and reconnect counts mean something.</summary>
    public bool Drops => Flapping || Switching;

    public static ScenarioFeatures Of(Scenario scenario) => new()
    {
        Messages = scenario.Protocol != ProtocolKind.None && scenario.Messages.Interval > TimeSpan.Zero,
        Flapping = scenario.Population.Any(g => g.Flapping is not null),
        Zombies = scenario.Population.Any(g => g.Zombie is not null),
        Switching = scenario.Population.Any(g => g.Switching is not null),
        Malformed = scenario.Population.Any(g => g.Malformed is not null),
        Session = scenario.Protocol == ProtocolKind.Session,
        Tokens = scenario.Auth is not null,
        Heartbeat = scenario.Heartbeat.Interval > TimeSpan.Zero,
    };
}
