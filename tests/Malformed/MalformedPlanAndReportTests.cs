using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Cli.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Scenarios;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>How a malformed group becomes attackers plus canaries in the plan, and how its results reach report.json.</summary>
[Trait("Category", "Unit")]
public sealed class MalformedPlanAndReportTests
{
    private static Scenario Load(string yaml)
    {
        var loaded = ScenarioLoader.Parse(yaml, "test.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        return loaded.Scenario!;
    }

    [Fact]
    public void A_malformed_group_is_split_into_canaries_first_and_attackers()
    {
        var scenario = Load("""
            name: m
            target: ws://127.0.0.1:1/ws
            clients: 1063
            duration: 10s
            population:
              - { name: steady, share: 94.07% }
              - name: attackers
                share: 5.93%
                behavior: malformed
                malformed: { cases: [F01, F11, A05], canaryShare: 20% }
            """);
        var plan = PlanBuilder.Build(scenario, "run", 1, [new Uri("ws://127.0.0.1:1/ws")]);
        Assert.Equal(["attackers-canary", "steady", "attackers"], plan.Groups.Select(g => g.Name));
        var canary = plan.Groups[0];
        Assert.Equal(("steady", 0, 13, "attackers"), (canary.Behavior, canary.FirstClient, canary.Clients, canary.CanaryOf));
        Assert.Equal((13, 1000), (plan.Groups[1].FirstClient, plan.Groups[1].Clients));
        var attackers = plan.Groups[2];
        Assert.Equal(("malformed", 1013, 50), (attackers.Behavior, attackers.FirstClient, attackers.Clients));
        Assert.Equal(["F01", "F11", "A05"], attackers.Malformed!.Cases);
        Assert.Equal(1063, plan.Groups.Sum(g => g.Clients));
        Assert.Equal(1.0, attackers.Malformed.DeadlineScale);
    }

    [Fact]
    public void The_shipped_malformed_scenario_has_1000_healthy_clients_and_50_attackers_cycling_every_case()
    {
        var loaded = ScenarioLoader.LoadFile(Path.Combine(Support.Simcluster.RepoRoot, "scenarios", "malformed.yaml"));
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var plan = PlanBuilder.Build(loaded.Scenario!, "run", 1, [new Uri("ws://127.0.0.1:1/ws")]);
        Assert.Equal(1000, plan.Groups.Single(g => g.Name == "steady").Clients);
        var attackers = plan.Groups.Single(g => g.Behavior == "malformed");
        Assert.Equal(50, attackers.Clients);
        // cases: all with protocol echo: every case for any server, none of the protocol-level ones.
        Assert.Equal(CaseCatalogue.AnyServer.Select(c => c.Id).Order(StringComparer.Ordinal), attackers.Malformed!.Cases.Order(StringComparer.Ordinal));
        Assert.True(plan.Groups.Single(g => g.CanaryOf is not null).Clients > 0);
    }

    [Theory]
    [InlineData(10, 0.2, 2)]
    [InlineData(2, 0.9, 1)]   // at least one attacker stays
    [InlineData(1, 0.5, 0)]
    [InlineData(63, 0.2, 13)]
    [InlineData(50, 0.0, 0)]
    public void Canaries_are_the_share_of_the_group_rounded(int clients, double share, int canaries) =>
        Assert.Equal(canaries, PlanBuilder.CanaryCount(clients, share));

    private static CaseTally Tally(string id, string? worst, long runs, int clients = 3) => new()
    {
        Id = id,
        Title = CaseCatalogue.Get(id).Title,
        Expected = CaseCatalogue.Get(id).Expected.Describe(),
        Verdicts = worst is null ? [] : new Dictionary<string, long> { [worst] = runs },
        Worst = worst,
        Observed = worst is null ? "" : "close 1002",
        Clients = clients,
    };

    [Fact]
    public void Cases_become_report_entries_in_catalogue_order_with_the_contract_fields()
    {
        var cases = MalformedSection.Cases(new MalformedResult
        {
            Cases =
            [
                Tally("A01", "OK", 4),
                Tally("F11", "OK", 2),
                Tally("F01", "WRONG-CODE", 5) with { ServerDownAfter = 1, LastError = "server stopped accepting after this case: refused" },
                Tally("F02", null, 0) with { Unreachable = 3, LastError = "refused: connection refused" },
            ],
        });
        Assert.Equal(["F01", "F02", "F11", "A01"], cases.Select(c => (string?)c!["id"]));
        var f01 = cases[0]!.AsObject();
        foreach (var field in new[] { "id", "title", "expected", "observed", "verdict", "clients" }) Assert.True(f01.ContainsKey(field), field);
        Assert.Equal("WRONG-CODE", (string?)f01["verdict"]);
        Assert.Equal(5, (long)f01["verdicts"]!["WRONG-CODE"]!);
        Assert.Equal(1, (long)f01["serverDownAfter"]!);
        var f02 = cases[1]!.AsObject();
        Assert.Equal("NOT-RUN", (string?)f02["verdict"]); // never got a connection: no grade, counted in malformed_cases_not_run
        Assert.StartsWith("not run: every attempt failed to connect", (string?)f02["observed"]);
        Assert.Empty(MalformedSection.Cases(null));
    }

    [Fact]
    public void Collateral_compares_canary_latency_before_and_during_the_attack()
    {
        static byte[] Rtt(params double[] ms)
        {
            var h = HistogramCodec.Create();
            foreach (var v in ms) h.RecordValue((long)(v * 1000));
            return HistogramCodec.Encode(h);
        }
        GroupResult Group(string name, string behavior, int clients) => new()
        {
            Name = name, Behavior = behavior, Clients = clients,
            Counters = new Dictionary<string, long> { [MetricNames.MalformedCases] = behavior == "malformed" ? 99 : 0 },
            Trends = [], CloseCodes = [],
        };
        var malformed = new MalformedResult
        {
            FirstAttackSecond = 4,
            CanaryGroups = ["attackers-canary"],
            AfterRun = new ServerProbeResult { Accepted = true, Detail = "upgraded and answered a PING in 1 ms" },
            Cases = [Tally("F21", "OK", 3) with { ServerDownAfter = 2 }],
            Groups = new Dictionary<string, AttackPhaseStats>
            {
                ["attackers-canary"] = new() { RttBefore = Rtt(1, 2, 3), RttDuring = Rtt(5, 10, 40), DisconnectsDuring = 1, FalseDisconnectsDuring = 1 },
                ["steady"] = new() { RttBefore = Rtt(1), RttDuring = Rtt(2) },
                ["attackers"] = new(),
            },
        };
        var stats = (long rss, long heap) => new JsonObject { ["openConnections"] = 0, ["process"] = new JsonObject { ["rssBytes"] = rss, ["managedHeapBytes"] = heap } };
        var json = MalformedSection.Collateral(malformed, [Group("attackers-canary", "steady", 2), Group("steady", "steady", 10), Group("attackers", "malformed", 5)],
            stats(100 << 20, 10 << 20), stats(150 << 20, 12 << 20));
        Assert.Equal(4, (int)json["firstAttackSecond"]!);
        Assert.Equal(5, (int)json["attackers"]!);
        Assert.Equal(99, (long)json["caseRuns"]!);
        var canaries = json["canaries"]!;
        Assert.InRange((double)canaries["rttP99BeforeMs"]!, 2.9, 3.1);
        Assert.InRange((double)canaries["rttP99DuringMs"]!, 39, 41);
        Assert.Equal(1, (long)canaries["falseDisconnectsDuring"]!);
        Assert.Equal(12, (int)json["healthy"]!["clients"]!);
        Assert.True((bool)json["serverAcceptsAfterAttack"]!);
        Assert.Equal(2, (long)json["serverDownAfter"]!["F21"]!);
        Assert.Equal(150.0, (double)json["targetMemory"]!["rssAfterMb"]!);
    }

    [Fact]
    public void Tallies_from_several_silos_add_up_and_the_worst_verdict_wins()
    {
        var merged = SiloCaseResults.Merge(
        [
            Tally("F01", "OK", 4, clients: 2),
            Tally("F01", "TIMEOUT", 1, clients: 1) with { Observed = "no reaction within 3 s" },
            Tally("F11", "OK", 2),
        ]);
        var f01 = merged.Single(t => t.Id == "F01");
        Assert.Equal("TIMEOUT", f01.Worst);
        Assert.Equal("no reaction within 3 s", f01.Observed);
        Assert.Equal(3, f01.Clients);
        Assert.Equal(5, f01.Verdicts.Values.Sum());
    }
}
