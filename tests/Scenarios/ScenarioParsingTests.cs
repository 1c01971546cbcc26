using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class ScenarioParsingTests
{
    [Fact]
    public void Contract_example_parses_with_every_value()
    {
        var s = Valid(ContractExample);

        Assert.Equal("flapping-demo", s.Name);
        Assert.True(s.Target.IsEmbedded);
        Assert.Empty(s.Target.Urls);
        Assert.Equal(1000, s.Clients);
        Assert.Equal(TimeSpan.FromSeconds(60), s.Duration);
        Assert.Equal(TimeSpan.FromSeconds(10), s.RampUp);
        Assert.Equal(42L, s.Seed);
        Assert.Equal(ProtocolKind.Echo, s.Protocol);
        Assert.Equal(new MessagesSpec { Interval = TimeSpan.FromSeconds(1), Size = 64, LossTimeout = TimeSpan.FromSeconds(5) }, s.Messages);
        Assert.Equal(TimeSpan.Zero, s.Heartbeat.Interval);
        Assert.Equal("ethernet", s.Network.Profile);
        Assert.Equal(new ReconnectSpec(), s.Reconnect);

        Assert.NotNull(s.Auth);
        Assert.Equal("SIM_JWT_SECRET", s.Auth!.Jwt!.SecretEnv);
        Assert.Equal(TimeSpan.FromSeconds(60), s.Auth.Jwt.Lifetime);
        Assert.Equal("HS256", s.Auth.Jwt.Algorithm);
        Assert.Equal(TokenPlacement.Query, s.Auth.Send);
        Assert.Equal(RefreshMode.InBand, s.Auth.Refresh.Mode);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Auth.Refresh.Before);

        Assert.Equal(2, s.Population.Count);
        var steady = s.Population[0];
        Assert.Equal(("steady", 0.8, "steady", 800), (steady.Name, steady.Share, steady.Behavior, steady.Clients));
        Assert.Null(steady.Flapping);
        var flappers = s.Population[1];
        Assert.Equal(("flappers", 0.2, "flapping", 200), (flappers.Name, flappers.Share, flappers.Behavior, flappers.Clients));
        Assert.Equal(new DurationRange(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)), flappers.Flapping!.Up);
        Assert.Equal(new DurationRange(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)), flappers.Flapping.Down);
        Assert.Equal(DropMode.Reset, flappers.Flapping.Drop);
        Assert.Equal([DropMode.Reset], flappers.Flapping.Drops);
        Assert.Equal(20, flappers.Flapping.Cycles);

        Assert.Equal(3, s.Thresholds.Count);
        var rt = s.Thresholds[1];
        Assert.Equal("reconnect_time", rt.Metric);
        Assert.Null(rt.Group);
        Assert.Equal("p(95)<500", rt.Expression);
        Assert.Equal(new ThresholdExpression(Aggregation.Percentile, 95, ComparisonOperator.Less, 500), rt.Parsed);
        Assert.Equal((24, 21), (rt.Line, rt.Column));   // inside the quotes of ["p(95)<500"]
        Assert.Empty(s.AllowTargets);
        Assert.Equal(Source, s.SourcePath);
    }

    [Fact]
    public void Defaults_apply_to_a_minimal_scenario()
    {
        var s = Valid(Minimal);

        Assert.Equal(TimeSpan.Zero, s.RampUp);
        Assert.Null(s.Seed);
        Assert.Equal(ProtocolKind.Echo, s.Protocol);
        Assert.Equal(new MessagesSpec(), s.Messages);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Messages.Interval);
        Assert.Equal(new HeartbeatSpec(), s.Heartbeat);
        Assert.Equal(new NetworkSpec(), s.Network);
        Assert.Equal("exponential", s.Reconnect.Policy);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.Reconnect.Base);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Reconnect.Max);
        Assert.Equal(JitterKind.Full, s.Reconnect.Jitter);
        Assert.Null(s.Auth);
        var only = Assert.Single(s.Population);
        Assert.Equal(("steady", 1.0, "steady", 10), (only.Name, only.Share, only.Behavior, only.Clients));
        Assert.Empty(s.Thresholds);
    }

    [Fact]
    public void Every_behaviour_block_and_inline_network_values_bind()
    {
        var s = Valid("""
            name: all-behaviours
            target: [ws://127.0.0.1:9000/ws, "wss://example.test/ws"]
            clients: 101
            duration: 1m30s
            protocol: session
            heartbeat: { interval: 5s, timeout: 10s, appLevel: true }
            network:
              profile: 4g
              latency: 250ms
              jitter: 20ms
              bandwidthDown: 1.5Mbps
              bandwidthUp: 256kbps
              loss: 0.2%
              sourceAddresses: [127.0.1.0/24, 127.0.2.0/24]
            reconnect: { policy: fixed, base: 1s, max: 1s, jitter: none, maxAttempts: 5 }
            auth:
              tokenUrl: http://127.0.0.1:8080/token
              send: header
              refresh: { mode: reconnect }
            allowTargets: [127.0.0.1, "example.test:443"]
            population:
              - { name: flap, share: 12.5%, behavior: flapping, flapping: { drop: [close, reset, blackhole], cycles: 0, up: 3s } }
              - name: zomb
                share: 12.5%
                behavior: zombie
                zombie: { kind: slow-reader, after: 2s, observeFor: 1m, expectDetectWithin: 45s, readBytesPerSecond: 10 }
              - name: sw
                share: 25%
                behavior: switching
                switching: { interfaces: [wifi-good, 4g], every: 5s..15s, mode: make-before-break, gap: 250ms, oldPath: fin, natRebinding: true }
              - name: bad
                share: 25%
                behavior: malformed
                malformed: { cases: [F01, F11, A03], canaryShare: 10% }
              - name: all-bad
                share: 25%
                behavior: malformed
                malformed: { cases: all, canaryShare: 0.3 }
            thresholds:
              zombie_detect_time{group:zomb}: ["p(99.9) <= 45000", "max<60000"]
              connect_success_ratio: "value>=0.99"
            """);

        Assert.Equal([new Uri("ws://127.0.0.1:9000/ws"), new Uri("wss://example.test/ws")], s.Target.Urls);
        Assert.Equal(TimeSpan.FromSeconds(90), s.Duration);
        Assert.Equal(ProtocolKind.Session, s.Protocol);
        Assert.Equal(new HeartbeatSpec { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(10), AppLevel = true }, s.Heartbeat);
        Assert.Equal("4g", s.Network.Profile);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.Network.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(20), s.Network.Jitter);
        Assert.Equal(1_500_000L, s.Network.BandwidthDownBps);
        Assert.Equal(256_000L, s.Network.BandwidthUpBps);
        Assert.Equal(0.002, s.Network.Loss!.Value, 12);
        Assert.Equal(["127.0.1.0/24", "127.0.2.0/24"], s.Network.SourceAddresses!);
        Assert.Equal(new ReconnectSpec { Policy = "fixed", Base = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(1), Jitter = JitterKind.None, MaxAttempts = 5 }, s.Reconnect);
        Assert.Equal("http://127.0.0.1:8080/token", s.Auth!.TokenUrl);
        Assert.Null(s.Auth.Jwt);
        Assert.Equal(TokenPlacement.Header, s.Auth.Send);
        Assert.Equal(RefreshMode.Reconnect, s.Auth.Refresh.Mode);
        Assert.Equal(["127.0.0.1", "example.test:443"], s.AllowTargets);

        Assert.Equal([13, 13, 25, 25, 25], s.Population.Select(g => g.Clients));
        Assert.Equal(101, s.Population.Sum(g => g.Clients));

        var flap = s.Population[0].Flapping!;
        Assert.Equal([DropMode.Close, DropMode.Reset, DropMode.Blackhole], flap.Drops);
        Assert.Equal(0, flap.Cycles);
        Assert.Equal(DurationRange.Fixed(TimeSpan.FromSeconds(3)), flap.Up);
        Assert.Equal(new FlappingSpec().Down, flap.Down);

        Assert.Equal(new ZombieSpec
        {
            Kind = "slow-reader", After = TimeSpan.FromSeconds(2), ObserveFor = TimeSpan.FromMinutes(1),
            ExpectDetectWithin = TimeSpan.FromSeconds(45), ReadBytesPerSecond = 10,
        }, s.Population[1].Zombie);

        var sw = s.Population[2].Switching!;
        Assert.Equal(["wifi-good", "4g"], sw.Interfaces);
        Assert.Equal((SwitchMode.MakeBeforeBreak, OldPathFate.Fin, true), (sw.Mode, sw.OldPath, sw.NatRebinding));
        Assert.Equal(TimeSpan.FromMilliseconds(250), sw.Gap);

        Assert.Equal(["F01", "F11", "A03"], s.Population[3].Malformed!.Cases);
        Assert.Equal(0.1, s.Population[3].Malformed!.CanaryShare, 12);
        var all = s.Population[4].Malformed!;
        Assert.Equal(33, all.Cases.Count);
        Assert.Contains("F25", all.Cases);
        Assert.Contains("A08", all.Cases);
        Assert.Equal(0.3, all.CanaryShare, 12);

        Assert.Equal(3, s.Thresholds.Count);
        Assert.Equal(("zombie_detect_time", "zomb"), (s.Thresholds[0].Metric, s.Thresholds[0].Group));
        Assert.Equal("p(99.9)<=45000", s.Thresholds[0].Parsed.ToString());
        Assert.Equal("connect_success_ratio", s.Thresholds[2].Metric);
        Assert.Equal(Aggregation.Value, s.Thresholds[2].Parsed.Aggregation);
    }

    [Fact]
    public void A_lone_group_may_leave_out_its_share()
    {
        var s = Valid(Minimal + "\npopulation:\n  - { name: everyone, behavior: flapping }\n");
        var g = Assert.Single(s.Population);
        Assert.Equal((1.0, 10), (g.Share, g.Clients));
        Assert.Equal(new FlappingSpec().Up, g.Flapping!.Up);   // the flapping block may be left out: defaults
    }

    [Fact]
    public void Anchors_and_aliases_are_followed()
    {
        var s = Valid(Minimal + """

            population:
              - { name: a, share: 50%, behavior: flapping, flapping: &flap { up: 1s..2s, cycles: 3 } }
              - { name: b, share: 50%, behavior: flapping, flapping: *flap }
            """);
        Assert.Equal(s.Population[0].Flapping!.Up, s.Population[1].Flapping!.Up);
        Assert.Equal(3, s.Population[1].Flapping!.Cycles);
    }

    [Fact]
    public void LoadFile_reads_a_file_and_records_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, ContractExample);
        try
        {
            var result = ScenarioLoader.LoadFile(path);
            Assert.True(result.Ok, string.Join("\n", result.Errors));
            Assert.Equal(path, result.Scenario!.SourcePath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_reports_a_missing_file_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yaml");
        var result = ScenarioLoader.LoadFile(path);
        Assert.False(result.Ok);
        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Source);
        Assert.Contains("not found", error.Message);
        Assert.StartsWith(path + ":", error.ToString());
    }

    [Fact]
    public void A_custom_vocabulary_replaces_the_default_names()
    {
        var d = ScenarioVocabulary.Default;
        var vocab = d with { LinkProfiles = new HashSet<string> { "lab-link" } };
        var ok = ScenarioLoader.Parse(Minimal + "\nnetwork: { profile: lab-link }\n", Source, vocabulary: vocab);
        Assert.True(ok.Ok, string.Join("\n", ok.Errors));
        var bad = ScenarioLoader.Parse(Minimal + "\nnetwork: { profile: ethernet }\n", Source, vocabulary: vocab);
        Assert.Contains("valid: lab-link", Assert.Single(bad.Errors).Message);
    }

    [Fact]
    public void Default_vocabulary_has_the_documented_names()
    {
        var v = ScenarioVocabulary.Default;
        Assert.Equal(5, v.Behaviors.Count);
        Assert.Equal(["exponential", "fixed", "immediate"], v.ReconnectPolicies.Order());
        Assert.Equal(9, v.LinkProfiles.Count);
        Assert.Contains("slow-3g", v.LinkProfiles);
        Assert.Equal(6, v.ZombieKinds.Count);
        Assert.Equal(40, v.MalformedCases.Count);
        Assert.Contains("F01", v.MalformedCases);
        Assert.Contains("A08", v.MalformedCases);
        Assert.DoesNotContain("F26", v.MalformedCases);
    }
}
