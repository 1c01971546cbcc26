using System.Text.Json.Nodes;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Protocols.SocketIo;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Grains.Protocols;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>
/// The protocol-level cases against the real servers from npm: socket.io 4.8.1 for S01..S03, graphql-ws 6 for
/// G01..G04. Each case's outcome is what that server does (checked by hand with a plain ws client, and stated in
/// the case), graded OK, and the observed text names it; every run is bounded (a hang fails the harness).
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ProtocolCaseTests(SocketioPeer socketio, GraphqlWsPeer graphql) : IClassFixture<SocketioPeer>, IClassFixture<GraphqlWsPeer>
{
    private CaseContext Socketio => new()
    {
        Connect = new ConnectOptions { Target = SocketioPacket.UpgradeUri(socketio.Uri, "/socket.io/"), ConnectTimeout = TimeSpan.FromSeconds(5) },
    };

    private CaseContext Graphql => new()
    {
        Connect = new ConnectOptions { Target = new Uri(graphql.Uri, "/graphql"), ConnectTimeout = TimeSpan.FromSeconds(5) }.Offer([GraphqlWsProtocol.SubProtocol]),
    };

    [Fact]
    public async Task Socket_io_closes_on_a_bad_packet_type_and_on_invalid_JSON_and_refuses_an_unknown_namespace_in_band()
    {
        var results = await CaseHarness.ExpectAsync(Socketio, new Dictionary<string, Verdict> { ["S01"] = Verdict.Ok, ["S02"] = Verdict.Ok, ["S03"] = Verdict.Ok });
        // socket.io ends the Engine.IO session with a Close frame that carries no code.
        Assert.All(results["S01"].Run.Observations, o => Assert.Equal((Reaction.Closed, (int?)null), (o.Reaction, o.CloseCode)));
        Assert.Equal(2, results["S01"].Run.Observations.Count);
        Assert.Equal((Reaction.Closed, (int?)null), (results["S02"].Run.Observations[0].Reaction, results["S02"].Run.Observations[0].CloseCode));
        var nsp = Assert.Single(results["S03"].Run.Observations);
        Assert.Equal((Reaction.Answered, true), (nsp.Reaction, nsp.ErrorReplied));
        Assert.Contains("Invalid namespace", results["S03"].Grade.Observed);
    }

    [Fact]
    public async Task Graphql_ws_closes_each_violation_with_the_protocols_close_code()
    {
        var results = await CaseHarness.ExpectAsync(Graphql, new Dictionary<string, Verdict>
        {
            ["G01"] = Verdict.Ok, ["G02"] = Verdict.Ok, ["G03"] = Verdict.Ok, ["G04"] = Verdict.Ok,
        });
        foreach (var (id, code) in new[] { ("G01", 4401), ("G02", 4409), ("G03", 4400), ("G04", 4429) })
        {
            Assert.Equal(code, Assert.Single(results[id].Run.Observations).CloseCode);
            Assert.StartsWith($"close {code}", results[id].Grade.Observed);
        }
    }

    [Fact]
    public async Task A_case_for_another_protocols_server_does_not_apply_and_opens_nothing()
    {
        // The graphql-ws server asked as Socket.IO, and the Socket.IO server as graphql-ws: the connect options say
        // which protocol the run speaks, so nothing is sent at all.
        var asSocketio = new CaseContext { Connect = new ConnectOptions { Target = new Uri(graphql.Uri, "/graphql") } };
        var (run, grade) = await CaseHarness.RunAsync(asSocketio, "S01");
        Assert.All(run.Observations, o => Assert.Equal(Reaction.NotApplicable, o.Reaction));
        Assert.Equal((Verdict.NotApplicable, false), (grade.Verdict, grade.Applicable));
        var asGraphql = new CaseContext { Connect = new ConnectOptions { Target = SocketioPacket.UpgradeUri(socketio.Uri, "/socket.io/") } };
        Assert.Equal(Verdict.NotApplicable, (await CaseHarness.RunAsync(asGraphql, "G02")).Grade.Verdict);
    }
}

/// <summary>
/// Attackers in real runs against the real servers: the run's connect options (Engine.IO's path and query, the
/// graphql-transport-ws offer) reach the attackers, every case gets its verdict in the report, and the run ends.
/// </summary>
[Trait("Category", "Integration")]
[Collection(HostileProbesCollection.Name)]
public sealed class ProtocolCaseRunTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("protocol-cases");

    public ProtocolCaseRunTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static void AssertEveryCaseOk(JsonObject report, string[] ids)
    {
        var cases = report["cases"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(ids, cases.Select(c => (string?)c["id"]));
        var notOk = cases.Where(c => (string?)c["verdict"] != "OK").Select(c => $"{c["id"]}: {c["verdict"]} ({c["observed"]}) {c["lastError"]}").ToList();
        Assert.True(notOk.Count == 0, "not OK:\n" + string.Join("\n", notOk));
        Assert.Equal(0, Contract.Count(report, "malformed_cases_failed"));
        Assert.Equal(0, Contract.Count(report, "malformed_cases_not_run"));
    }

    [Fact]
    public async Task Socket_io_attackers_grade_every_protocol_case_and_the_run_ends()
    {
        string[] ids = ["S01", "S02", "S03"];
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-cases", "socketio-server.js", ["5000", "5000"], port => $$"""
            name: socketio-cases
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 6
            duration: 12s
            messages: { interval: 500ms, lossTimeout: 2s }
            population:
              - { name: steady, share: 50% }
              - name: attackers
                share: 50%
                behavior: malformed
                malformed: { cases: [S01, S02, S03], canaryShare: 0% }
            """);
        AssertEveryCaseOk(report, ids);
        Assert.True(stats["engine"] > 3, line);
    }

    [Fact]
    public async Task Graphql_ws_attackers_grade_every_protocol_case_and_the_run_ends()
    {
        string[] ids = ["G01", "G02", "G03", "G04"];
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "graphql-cases", "graphql-server.js", ["items:200", "every:100"], port => $$"""
            name: graphql-cases
            target: ws://127.0.0.1:{{port}}/graphql
            protocol: graphql-ws
            clients: 8
            duration: 12s
            graphqlWs: { query: "subscription { ticks { seq } }", sequencePath: data.ticks.seq }
            population:
              - { name: steady, share: 50% }
              - name: attackers
                share: 50%
                behavior: malformed
                malformed: { cases: [G01, G02, G03, G04], canaryShare: 0% }
            """);
        AssertEveryCaseOk(report, ids);
        // The server's own closes: at least one per case run of each code.
        foreach (var code in new[] { 4400, 4401, 4409, 4429 }) Assert.True(stats.GetValueOrDefault($"close{code}") >= 1, line);
    }
}
