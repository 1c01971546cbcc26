using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Cli.Runs;
using SimCluster.Grains.Clients;
using SimCluster.Tests.Scenarios;
using SimCluster.Transport;

namespace SimCluster.Tests.Reports;

/// <summary>Client timelines (sampling, bounded recording, report.json/html) and disconnect causes, without a cluster.</summary>
[Trait("Category", "Unit")]
public sealed class TimelineAndCauseTests
{
    private static GroupPlan Group(string name, int first, int clients, bool malformed = false) => new()
    {
        Name = name,
        Behavior = malformed ? "malformed" : "steady",
        FirstClient = first,
        Clients = clients,
        Malformed = malformed ? new MalformedPlan { Cases = ["F01"] } : null,
    };

    [Fact]
    public void The_sample_takes_turns_over_groups_spreads_within_each_and_skips_attackers()
    {
        GroupPlan[] groups = [Group("a", 0, 100), Group("attackers", 100, 50, malformed: true), Group("b", 150, 3)];
        var picked = TimelineSample.Pick(groups, 7);
        // b has 3 clients, so it gives all 3; a gives the other 4, spread over its 100.
        Assert.Equal([0, 25, 50, 75, 150, 151, 152], picked);
        Assert.Equal(picked, TimelineSample.Pick(groups, 7)); // deterministic
        Assert.DoesNotContain(picked, i => i is >= 100 and < 150);
        Assert.Empty(TimelineSample.Pick(groups, 0));
        Assert.Equal(103, TimelineSample.Pick(groups, 1000).Length); // never more than there are
    }

    [Fact]
    public void The_plan_carries_the_sample_the_scenario_asks_for()
    {
        var scenario = ScenarioTestHelpers.Valid(ScenarioTestHelpers.Minimal + "\nreport: { timelines: 3, timelineEvents: 50 }");
        var plan = PlanBuilder.Build(scenario, "r", 1, [new Uri("ws://127.0.0.1:1/ws")]);
        Assert.Equal([0, 3, 6], plan.TimelineClients);
        Assert.Equal(50, plan.TimelineEventCap);

        var defaults = PlanBuilder.Build(ScenarioTestHelpers.Valid(ScenarioTestHelpers.Minimal), "r", 1, [new Uri("ws://127.0.0.1:1/ws")]);
        Assert.Equal(Enumerable.Range(0, 10), defaults.TimelineClients); // 10 clients, default sample 10
    }

    [Fact]
    public void Out_of_range_report_options_are_errors_with_their_position()
    {
        var error = ScenarioTestHelpers.SingleError(ScenarioTestHelpers.Minimal + "\nreport: { timelines: 100000 }");
        Assert.Equal("report.timelines", error.Key);
        Assert.True(error.Line > 0 && error.Column > 0, error.ToString());
        Assert.Equal("report.frames", ScenarioTestHelpers.SingleError(ScenarioTestHelpers.Minimal + "\nreport: { frames: 1 }").Key);
    }

    [Fact]
    public void The_recorder_keeps_times_relative_to_the_run_start_and_stops_at_its_cap()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero));
        var recorder = new ClientTimelineRecorder(7, "flappers", "flapping", cap: 3, time);
        recorder.StartsAt(time.GetUtcNow().UtcDateTime.AddSeconds(1)); // the run starts a second from now
        var machine = new ClientStateMachine(time);
        recorder.Add(machine.Fire(ClientTrigger.Connect), "attempt 1");
        time.Advance(TimeSpan.FromMilliseconds(1500));
        recorder.Add(machine.Fire(ClientTrigger.Opened));
        time.Advance(TimeSpan.FromMilliseconds(250));
        recorder.Add(machine.Fire(ClientTrigger.Drop), "forced:reset");
        recorder.Add(machine.Fire(ClientTrigger.Wait));
        recorder.Add("zombie-start", machine.State);

        var timeline = recorder.Snapshot();
        Assert.Equal(7, timeline.Client);
        Assert.Equal([-1000.0, 500.0, 750.0], timeline.Events.Select(e => e.AtMs));
        Assert.Equal(["connecting", "open", "dropped"], timeline.Events.Select(e => e.Kind));
        Assert.Equal(["Connecting", "Open", "Dropped"], timeline.Events.Select(e => e.State));
        Assert.Equal("forced:reset", timeline.Events[2].Detail);
        Assert.Equal(2, timeline.Dropped);
    }

    [Fact]
    public void Connection_ends_map_to_causes()
    {
        Assert.Equal("server:close-1001", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Server, 1001, "bye", null)));
        Assert.Equal("server:close-1005", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Server, null, null, null)));
        Assert.Equal("server:reset", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Lost, null, null, "x", DisconnectCause.Reset)));
        Assert.Equal("server:message-too-big", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Lost, null, null, "x", DisconnectCause.MessageTooBig)));
        Assert.Equal("server:other", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Lost, null, null, "x")));
        Assert.Equal("tool:close", ClientRuntime.CauseOf(new ConnectionClosed(CloseInitiator.Client, 1000, null, null)));

        var reset = new WebSocketException(WebSocketError.ConnectionClosedPrematurely, new IOException("io", new SocketException((int)SocketError.ConnectionReset)));
        Assert.Equal(DisconnectCause.Reset, DisconnectCause.Classify(reset, null));
        Assert.Equal(DisconnectCause.ClosedWithoutHandshake, DisconnectCause.Classify(new WebSocketException(WebSocketError.ConnectionClosedPrematurely), null));
        Assert.Equal(DisconnectCause.ProtocolError, DisconnectCause.Classify(new WebSocketException(WebSocketError.Faulted), null));
        Assert.Equal(DisconnectCause.Other, DisconnectCause.Classify(new IOException("?"), null));
    }

    [Fact]
    public void Report_json_lists_causes_per_group_and_the_sampled_timelines()
    {
        var start = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc);
        GroupResult GroupWith(string name, Dictionary<string, long> causes) => new()
        {
            Name = name, Behavior = "flapping", Clients = 5, Counters = [], Trends = [], CloseCodes = [], Causes = causes,
        };
        var result = new RunResult
        {
            RunId = "r", StartedAtUtc = start, EndedAtUtc = start.AddSeconds(5), Planned = 10, Started = 10,
            Groups = [GroupWith("a", new() { ["server:close-1001"] = 1, ["forced:reset"] = 2 }), GroupWith("b", new() { ["forced:reset"] = 3, ["connect:refused"] = 4 })],
            Timeline = [new TimelinePoint { T = 1, ZombiesEvicted = 2, TokenRefreshes = 5 }],
            Silos = [],
            Timelines =
            [
                new ClientTimeline
                {
                    Client = 3, Group = "a", Behavior = "flapping", Dropped = 1,
                    Events = [new ClientEvent { AtMs = 12.5, Kind = "waiting", State = nameof(ClientState.WaitingToReconnect), Detail = "next attempt in 40 ms" }],
                },
            ],
        };
        var scenario = ScenarioTestHelpers.Valid(ScenarioTestHelpers.Minimal);
        var json = JsonNode.Parse(Report.Create(scenario, 1, [new Uri("ws://127.0.0.1:1/ws")], result, null, null, null).ToJson().ToJsonString())!.AsObject();

        // Ordered by category (forced, switch, server, zombie, connect, tool), summed over groups.
        Assert.Equal("""{"forced:reset":5,"server:close-1001":1,"connect:refused":4}""", json["disconnectCauses"]!.ToJsonString());
        Assert.Equal("""{"forced:reset":3,"connect:refused":4}""", json["groups"]!["b"]!["disconnectCauses"]!.ToJsonString());
        Assert.Equal(2, (long)json["timeline"]![0]!["zombiesEvicted"]!);
        Assert.Equal(5, (long)json["timeline"]![0]!["tokenRefreshes"]!);
        var timeline = json["timelines"]!.AsArray().Single()!;
        Assert.Equal(3, (int)timeline["client"]!);
        Assert.Equal(1, (int)timeline["eventsDropped"]!);
        Assert.Equal("""{"atMs":12.5,"event":"waiting","state":"waiting-to-reconnect","detail":"next attempt in 40 ms"}""", timeline["events"]![0]!.ToJsonString());
    }

    [Fact]
    public void A_lost_silo_leaves_a_measured_hole_in_report_json_the_summary_and_html()
    {
        var start = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc);
        var result = new RunResult
        {
            RunId = "r", StartedAtUtc = start, EndedAtUtc = start.AddSeconds(30), Planned = 100, Started = 100,
            Groups = [new GroupResult { Name = "a", Behavior = "steady", Clients = 100, Counters = new() { ["connects"] = 180 }, Trends = [], CloseCodes = [] }],
            Timeline = [],
            Silos =
            [
                new SiloResult { Address = "s1", Clients = 50, Adopted = 50 },
                new SiloResult
                {
                    Address = "s2", Clients = 50, Lost = true, LostAtSeconds = 11.6, LastCollectedAtSeconds = 10, LostClients = 50, ReactivatedAtSeconds = 12.1,
                    HoleAtMost = new() { ["connects"] = 70, ["messages_sent"] = 160 },
                },
            ],
        };
        var scenario = ScenarioTestHelpers.Valid(ScenarioTestHelpers.Minimal);
        var before = new JsonObject { ["upgrades"] = 0 };
        var after = new JsonObject { ["upgrades"] = 192 };
        var report = Report.Create(scenario, 1, [new Uri("ws://127.0.0.1:1/ws")], result, before, after, null);
        var json = JsonNode.Parse(report.ToJson().ToJsonString())!.AsObject();

        var hole = json["holes"]!["silos"]!.AsArray().Single()!;
        Assert.Equal("s2", (string)hole["silo"]!);
        Assert.Equal(1.6, (double)hole["windowSeconds"]!);
        Assert.Equal(50, (int)hole["clients"]!);
        Assert.Equal(12.1, (double)hole["reactivatedAtSecond"]!);
        Assert.Equal("""{"connects":70,"messages_sent":160}""", json["holes"]!["atMost"]!.ToJsonString());
        Assert.Equal(12, (long)json["holes"]!["targetUpgradesNotReported"]!); // 192 upgrades, 180 connects reported
        Assert.Equal(10, (double)json["silos"]![1]!["lastCollectedAtSecond"]!);
        Assert.True((bool)json["partial"]!); // a lost silo still makes the run partial: exit 105, thresholds graded

        var lines = SimCluster.Cli.Output.SummaryPrinter.HoleLines(report).ToList();
        Assert.Equal("silo s2: numbers missing from 10 s to its death at 11.6 s (1.6 s, 50 clients); at most connects 70, messages_sent 160", lines[0]);
        Assert.Equal("the target saw 12 upgrade(s) that no client reported", lines[1]);

        var html = HtmlReport.Render(json);
        Assert.Contains("<h3>What lost silos took with them</h3>", html);
        Assert.Contains("<td><code>s2</code></td><td class=\"num\">10</td><td class=\"num\">11.6</td><td class=\"num\">1.6</td><td class=\"num\">50</td><td class=\"num\">12.1</td><td>connects 70, messages_sent 160</td>", html);
        Assert.Contains("The target saw 12 upgrade(s) that no client reported.", html);

        // Without a lost silo: an empty section, and nothing in the HTML.
        var whole = Report.Create(scenario, 1, [new Uri("ws://127.0.0.1:1/ws")], result with { Silos = [result.Silos[0]] }, before, after, null).ToJson();
        Assert.Empty(whole["holes"]!["silos"]!.AsArray());
        Assert.DoesNotContain("What lost silos took with them", HtmlReport.Render(whole));
    }

    [Fact]
    public void A_silo_lost_after_adopting_clients_counts_them_lost_again_so_lost_equals_re_activated()
    {
        // Three silos of 40: s3 is lost first (its 40 re-activated, 20 on each survivor), then s2 with its 40 and the
        // 20 it adopted; s1 re-activates those 60 as well. bench/chaos.sh found the books off by the adopted ones.
        var start = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc);
        var result = new RunResult
        {
            RunId = "r", StartedAtUtc = start, EndedAtUtc = start.AddSeconds(30), Planned = 120, Started = 120,
            Groups = [], Timeline = [],
            Silos =
            [
                new SiloResult { Address = "s1", Clients = 40, Adopted = 80 },
                new SiloResult { Address = "s2", Clients = 40, Adopted = 20, Lost = true, LostAtSeconds = 20, LostClients = 60 },
                new SiloResult { Address = "s3", Clients = 40, Lost = true, LostAtSeconds = 10, LostClients = 40 },
            ],
        };
        var json = Report.Create(ScenarioTestHelpers.Valid(ScenarioTestHelpers.Minimal), 1, [new Uri("ws://127.0.0.1:1/ws")], result, null, null, null).ToJson();

        Assert.Equal(100, (int)json["clients"]!["lost"]!);
        Assert.Equal(100, (int)json["clients"]!["reactivated"]!);
    }

    [Fact]
    public void Report_html_shows_causes_and_timelines_and_hides_empty_series()
    {
        var html = HtmlReport.Render(JunitReportTests.SampleReport());
        Assert.Contains("id=\"chart-causes\"", html);
        Assert.Contains("<td><code>server:close-1001</code></td><td>the server closed with 1001 (going away)</td>", html);
        Assert.Contains("id=\"chart-client-timelines\"", html);
        Assert.Contains("client <code>4</code> · <code>flappers</code> (flapping) · 8 events, 1 drop", html);
        Assert.Contains("<td class=\"num\">1.500</td><td>dropped</td><td>dropped</td><td>forced:reset, outage 300 ms</td>", html);
        Assert.DoesNotContain("id=\"chart-zombies\"", html); // no zombie was evicted in the sample
        Assert.DoesNotContain("id=\"chart-tokens\"", html);

        var withZombies = JunitReportTests.SampleReport();
        withZombies["timeline"]![1]!["zombiesEvicted"] = 3;
        Assert.Contains("id=\"chart-zombies\"", HtmlReport.Render(withZombies));

        // A report.json without them (an older SimCluster's) shows neither section.
        var older = JunitReportTests.SampleReport();
        older.Remove("timelines");
        older.Remove("disconnectCauses");
        var olderHtml = HtmlReport.Render(older);
        Assert.DoesNotContain("id=\"client-timelines\"", olderHtml);
        Assert.DoesNotContain("id=\"causes\"", olderHtml);
    }
}
