using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;
using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>Turns a validated scenario into the plan the cluster runs: the seed fixed, the profile resolved, URLs decided.</summary>
public static class PlanBuilder
{
    public static RunPlan Build(Scenario scenario, string runId, long seed, IReadOnlyList<Uri> targetUrls) => new()
    {
        RunId = runId,
        ScenarioName = scenario.Name,
        Seed = seed,
        TargetUrls = [.. targetUrls.Select(u => u.ToString())],
        Clients = scenario.Clients,
        Duration = scenario.Duration,
        RampUp = scenario.RampUp,
        Protocol = scenario.Protocol.ToString().ToLowerInvariant(),
        Driver = scenario.Driver,
        Messages = new MessagePlan
        {
            Interval = scenario.Protocol == ProtocolKind.None ? TimeSpan.Zero : scenario.Messages.Interval,
            Size = scenario.Messages.Size,
            LossTimeout = scenario.Messages.LossTimeout,
        },
        HeartbeatInterval = scenario.Heartbeat.Interval,
        Network = Network(scenario.Network),
        Reconnect = new ReconnectPlan
        {
            Policy = scenario.Reconnect.Policy,
            Base = scenario.Reconnect.Base,
            Max = scenario.Reconnect.Max,
            Jitter = scenario.Reconnect.Jitter.ToString().ToLowerInvariant(),
            MaxAttempts = scenario.Reconnect.MaxAttempts,
        },
        Groups = Groups(scenario),
    };

    private static NetworkPlan Network(NetworkSpec spec)
    {
        var profile = LinkProfiles.All[spec.Profile ?? "loopback"];
        return new NetworkPlan
        {
            Profile = spec.Profile ?? (IsInline(spec) ? "custom" : "loopback"),
            Latency = spec.Latency ?? profile.Latency,
            Jitter = spec.Jitter ?? profile.Jitter,
            BandwidthDownBps = spec.BandwidthDownBps ?? profile.BandwidthDownBps,
            BandwidthUpBps = spec.BandwidthUpBps ?? profile.BandwidthUpBps,
            Loss = spec.Loss ?? profile.Loss,
            SourceRanges = [.. spec.SourceAddresses ?? []],
        };
    }

    private static bool IsInline(NetworkSpec spec) =>
        spec.Latency is not null || spec.Jitter is not null || spec.BandwidthDownBps is not null || spec.BandwidthUpBps is not null || spec.Loss is not null;

    private static GroupPlan[] Groups(Scenario scenario)
    {
        var groups = new List<GroupPlan>();
        var first = 0;
        foreach (var group in scenario.Population)
        {
            groups.Add(new GroupPlan
            {
                Name = group.Name,
                Behavior = group.Behavior,
                FirstClient = first,
                Clients = group.Clients,
                Flapping = group.Behavior == "flapping" ? Flapping(group.Flapping ?? new FlappingSpec()) : null,
                Zombie = group.Zombie is { } z ? Zombie(z) : null,
                Switching = group.Switching is { } sw ? Switching(sw) : null,
            });
            first += group.Clients;
        }
        return [.. groups];
    }

    private static SwitchingPlan Switching(SwitchingSpec spec) => new()
    {
        Interfaces = [.. spec.Interfaces],
        Every = new DurationRangePlan(spec.Every.Min, spec.Every.Max),
        Mode = spec.Mode == SwitchMode.MakeBeforeBreak ? "make-before-break" : "break-before-make",
        Gap = spec.Gap,
        OldPath = spec.OldPath.ToString().ToLowerInvariant(),
        NatRebinding = spec.NatRebinding,
    };

    private static ZombiePlan Zombie(ZombieSpec spec) => new()
    {
        Kind = spec.Kind,
        After = spec.After,
        ObserveFor = spec.ObserveFor,
        ExpectDetectWithin = spec.ExpectDetectWithin,
        ReadBytesPerSecond = spec.ReadBytesPerSecond ?? 64,
    };

    private static FlappingPlan Flapping(FlappingSpec spec) => new()
    {
        Up = new DurationRangePlan(spec.Up.Min, spec.Up.Max),
        Down = new DurationRangePlan(spec.Down.Min, spec.Down.Max),
        Drops = [.. spec.Drops.Select(d => d.ToString().ToLowerInvariant())],
        Cycles = spec.Cycles,
    };
}
