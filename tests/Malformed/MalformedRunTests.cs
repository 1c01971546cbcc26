using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Tests.Grains;
using SimCluster.Tests.Support;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>Attackers and canaries in a real two-silo cluster against the reference target, and the shipped scenario through the CLI.</summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MalformedRunTests(TwoSiloCluster cluster, ReferenceTargetPeer target) : IClassFixture<TwoSiloCluster>, IClassFixture<ReferenceTargetPeer>
{
    [Fact]
    public async Task Attackers_grade_their_cases_while_canaries_stay_connected_and_the_server_still_accepts_afterwards()
    {
        string[] cases = ["F01", "F11", "F13", "F18", "F21", "F24", "A01", "A05"];
        var plan = new RunPlan
        {
            RunId = $"mal-{Guid.NewGuid():N}"[..16],
            ScenarioName = "malformed-it",
            Seed = 8,
            TargetUrls = [target.Uri.ToString()],
            Clients = 14,
            Duration = TimeSpan.FromSeconds(10),
            RampUp = TimeSpan.FromSeconds(2),
            Messages = new MessagePlan { Interval = TimeSpan.FromMilliseconds(250), Size = 64, LossTimeout = TimeSpan.FromSeconds(3) },
            StopGrace = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            Groups =
            [
                new GroupPlan { Name = "attackers-canary", Behavior = "steady", FirstClient = 0, Clients = 2, CanaryOf = "attackers" },
                new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 2, Clients = 8 },
                new GroupPlan
                {
                    Name = "attackers", Behavior = "malformed", FirstClient = 10, Clients = 4,
                    Malformed = new MalformedPlan { Cases = cases },
                },
            ],
        };
        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        await coordinator.Start(plan);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        RunResult? result;
        while ((result = await coordinator.GetResult()) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the run did not complete in time");
            await Task.Delay(250);
        }

        var malformed = Assert.IsType<MalformedResult>(result.Malformed);
        Assert.Equal(cases.Order(StringComparer.Ordinal), malformed.Cases.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.All(malformed.Cases, c => Assert.True(c.Worst == "OK", $"{c.Id}: {c.Worst} ({c.Observed}) {c.LastError}"));
        Assert.All(malformed.Cases, c => Assert.InRange(c.Clients, 1, 4));
        Assert.True(malformed.AfterRun?.Accepted, malformed.AfterRun?.Detail);
        Assert.InRange(malformed.FirstAttackSecond ?? 0, 1, 10);
        Assert.Equal(["attackers-canary"], malformed.CanaryGroups);
        var canary = malformed.Groups["attackers-canary"];
        Assert.Equal(0, canary.DisconnectsDuring);
        Assert.NotEmpty(canary.RttDuring);

        var attackers = result.Groups.Single(g => g.Name == "attackers");
        Assert.True(attackers.Counters[MetricNames.MalformedCases] >= cases.Length);
        Assert.Equal(0, attackers.Counters[MetricNames.MalformedCasesFailed]);
        Assert.Equal(0, attackers.Counters[MetricNames.Connects]); // attackers never run the normal client cycle
        Assert.All(result.Groups.Where(g => g.Behavior == "steady"), g => Assert.Equal(0, g.Counters[MetricNames.FalseDisconnects]));
        Assert.Contains(result.Timeline, p => p.Attacks > 0);
    }
}

/// <summary>The shipped scenario through <c>./simcluster run</c> (scaled down): every case OK against the embedded target.</summary>
[Collection(ScaledRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MalformedScenarioTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("malformed");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_malformed_scenario_grades_every_case_OK_against_the_reference_target_without_harming_healthy_clients()
    {
        var outDir = Path.Combine(_temp, "report");
        var result = await Simcluster.RunAsync("run", "scenarios/malformed.yaml", "--clients", "300", "--duration", "35s", "--set", "rampUp=2s", "--no-live", "--out", outDir);
        var reportPath = Path.Combine(outDir, "report.json");
        Assert.True(File.Exists(reportPath), result.ToString());
        var report = JsonNode.Parse(File.ReadAllText(reportPath))!.AsObject();
        Contract.AssertReportShape(report);
        var cases = report["cases"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(CaseCatalogue.AnyServer.Select(c => c.Id), cases.Select(c => (string?)c["id"])); // cases: all, protocol echo
        var notOk = cases.Where(c => (string?)c["verdict"] != "OK").Select(c => $"{c["id"]}: {c["verdict"]} ({c["observed"]})").ToList();
        Assert.True(notOk.Count == 0, "not OK:\n" + string.Join("\n", notOk) + "\n" + result);
        // Every count holds; a timing may fail only while the tool was the bottleneck (a loaded CI machine), which
        // the verdict says itself (tool-limited, exit 105) without blaming the target.
        var verdict = (string?)report["verdict"];
        Assert.True((verdict, result.ExitCode) is ("pass", 0) or ("tool-limited", 105), result.ToString());

        var collateral = report["collateral"]!.AsObject();
        Assert.True((bool)collateral["serverAcceptsAfterAttack"]!);
        Assert.Equal(0, (long)collateral["healthy"]!["falseDisconnectsDuring"]!);
        Assert.Equal(0, (long)collateral["healthy"]!["messagesLostDuring"]!);
        Assert.NotNull(collateral["canaries"]!["rttP99DuringMs"]);
        Assert.NotNull(collateral["targetMemory"]);
        Assert.Contains(report["timeline"]!.AsArray(), p => (long)p!["attacks"]! > 0);
        Assert.Equal(0, Contract.Count(report, "malformed_cases_failed"));
        Assert.True(Contract.Count(report, "malformed_cases") >= 33);
    }
}
