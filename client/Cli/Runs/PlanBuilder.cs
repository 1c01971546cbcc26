using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;
using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>Turns a validated scenario into the plan the cluster runs: the seed fixed, the profile resolved, URLs decided.</summary>
public static class PlanBuilder
{
    public static RunPlan Build(Scenario scenario, string runId, long seed, IReadOnlyList<Uri> targetUrls)
    {
        var plan = BuildWithoutSample(scenario, runId, seed, targetUrls);
        return plan with
        {
            TimelineClients = TimelineSample.Pick(plan.Groups, scenario.Report.Timelines),
            TimelineEventCap = scenario.Report.TimelineEvents,
        };
    }

    private static RunPlan BuildWithoutSample(Scenario scenario, string runId, long seed, IReadOnlyList<Uri> targetUrls) => new()
    {
        RunId = runId,
        ScenarioName = scenario.Name,
        Seed = seed,
        TargetUrls = [.. targetUrls.Select(u => u.ToString())],
        Clients = scenario.Clients,
        Duration = scenario.Duration,
        RampUp = scenario.RampUp,
        Stages = [.. scenario.Stages.Select(s => new StagePlan(s.Duration, s.Clients))],
        ConnectRate = scenario.ConnectRate ?? 0,
        Protocol = scenario.Protocol,
        Json = scenario.Json,
        Driver = scenario.Driver,
        Messages = new MessagePlan
        {
            Interval = scenario.Protocol is ProtocolKind.None or ProtocolKind.GraphqlWs ? TimeSpan.Zero : scenario.Messages.Interval,
            Size = scenario.Messages.Size,
            LossTimeout = scenario.Messages.LossTimeout,
            MaxReceiveSize = scenario.Messages.MaxReceiveSize,
        },
        HeartbeatInterval = scenario.Heartbeat.Interval,
        HeartbeatTimeout = scenario.Heartbeat.Timeout,
        HeartbeatAppLevel = scenario.Heartbeat.AppLevel,
        Signalr = scenario.Signalr.ToPlan(),
        Connect = scenario.Connect.Plan,
        Socketio = new SocketioPlan
        {
            Namespace = scenario.Socketio.Namespace,
            Path = scenario.Socketio.Path,
            Event = scenario.Socketio.Event,
            PushEvents = [.. scenario.Socketio.PushEvents],
            PushSequence = scenario.Socketio.PushSequence,
            Recovery = scenario.Socketio.Recovery,
            Args = scenario.Socketio.Args,
            Ack = scenario.Socketio.Ack,
        },
        GraphqlWs = scenario.GraphqlWs is { } g
            ? new GraphqlWsPlan
            {
                Query = g.Query,
                Variables = g.Variables,
                OperationName = g.OperationName,
                SequencePath = [.. g.SequencePath],
                SendInit = g.SendInit,
                TokenField = g.TokenField,
            }
            : new GraphqlWsPlan(),
        Network = Network(scenario.Network),
        Reconnect = new ReconnectPlan
        {
            Policy = scenario.Reconnect.Policy,
            Base = scenario.Reconnect.Base,
            Max = scenario.Reconnect.Max,
            Jitter = scenario.Reconnect.Jitter,
            MaxAttempts = scenario.Reconnect.MaxAttempts,
        },
        Groups = Groups(scenario, Network(scenario.Network)),
        ReactivateLostClients = scenario.Cluster.ReactivateLostClients,
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

    private static GroupPlan[] Groups(Scenario scenario, NetworkPlan network)
    {
        var groups = new List<GroupPlan>();
        var first = 0;
        // Canaries of malformed groups come first, so they are connected (and measuring) before any attacker starts.
        var names = new HashSet<string>(scenario.Population.Select(g => g.Name), StringComparer.Ordinal);
        var canaries = new Dictionary<string, GroupPlan>();
        foreach (var group in scenario.Population.Where(g => g.Behavior == "malformed" && g.Malformed is not null))
        {
            var count = CanaryCount(group.Clients, group.Malformed!.CanaryShare);
            if (count == 0) continue;
            var name = UniqueName($"{group.Name}-canary", names);
            canaries[group.Name] = new GroupPlan { Name = name, Behavior = "steady", FirstClient = first, Clients = count, CanaryOf = group.Name };
            groups.Add(canaries[group.Name]);
            first += count;
        }
        foreach (var group in scenario.Population)
        {
            if (group.Behavior == "malformed" && group.Malformed is { } malformed)
            {
                var canary = canaries.GetValueOrDefault(group.Name);
                var attackers = group.Clients - (canary?.Clients ?? 0);
                groups.Add(new GroupPlan
                {
                    Name = group.Name,
                    Behavior = group.Behavior,
                    FirstClient = first,
                    Clients = attackers,
                    Malformed = new MalformedPlan
                    {
                        Cases = [.. malformed.Cases],
                        DeadlineScale = DeadlineScale(network),
                    },
                });
                first += attackers;
                continue;
            }
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
        Mode = spec.Mode,
        Gap = spec.Gap,
        OldPath = spec.OldPath,
        NatRebinding = spec.NatRebinding,
    };

    /// <summary>
    /// How many of a malformed group's clients stay healthy: the share of the group, rounded, leaving at least
    /// one attacker in a group of two or more.
    /// </summary>
    public static int CanaryCount(int clients, double share) =>
        clients <= 1 ? 0 : Math.Clamp((int)Math.Round(clients * share, MidpointRounding.AwayFromZero), 0, clients - 1);

    private static string UniqueName(string wanted, HashSet<string> taken)
    {
        var name = wanted;
        for (var i = 2; !taken.Add(name); i++) name = $"{wanted}-{i}";
        return name;
    }

    /// <summary>Malformed-case deadlines stretch on slow links: a case must not time out because its bytes are still on the way.</summary>
    private static double DeadlineScale(NetworkPlan network)
    {
        var scale = 1.0 + 10 * (network.Latency + network.Jitter).TotalSeconds;
        if (network.BandwidthUpBps > 0) scale += 8_000_000.0 / network.BandwidthUpBps;
        return Math.Round(Math.Clamp(scale, 1.0, 10.0), 2);
    }

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
        Drops = [.. spec.Drops],
        Cycles = spec.Cycles,
    };
}
