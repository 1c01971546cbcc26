using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// protocol: graphql-ws against a real graphql-ws 6 server (tests/peers/graphql-server.js): each client inits,
/// subscribes to ticks numbered 1..items and the server completes the stream well before the run ends, so nothing is
/// cut off in flight and the server's own counts are the exact ground truth for received, lost and acks.
/// </summary>
[Trait("Category", "Integration")]
[Collection(ProbesCollection.Name)]
public sealed class GraphqlWsServerTests : IClassFixture<NodePeers>, IDisposable
{
    private const int Clients = 10;
    private const int Items = 40; // 40 ticks 100ms apart: each stream completes ~4s into an 8s run
    private readonly string _temp = Simcluster.TempFolder("graphql");

    public GraphqlWsServerTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private async Task<(JsonObject Report, Dictionary<string, long> Stats)> RunAsync(string name, params string[] serverOptions)
    {
        var (report, stats, _) = await PeerRun.RunAsync(_temp, name, "graphql-server.js", [$"items:{Items}", "every:100", .. serverOptions], port => $$"""
            name: {{name}}
            target: ws://127.0.0.1:{{port}}/graphql
            clients: {{Clients}}
            duration: 8s
            protocol: graphql-ws
            graphqlWs:
              query: "subscription { ticks { seq } }"
              sequencePath: data.ticks.seq
            """);
        return (report, stats);
    }

    private static long Count(JsonObject report, string name) => Contract.Count(report, name);

    private static void AssertOneCompleteStreamPerClient(JsonObject report, Dictionary<string, long> stats)
    {
        Assert.Equal(Clients, stats["connections"]);
        Assert.Equal(stats["acks"], Count(report, "connects"));
        Assert.Equal(stats["acks"], Count(report, "graphql_acks"));
        Assert.Equal(stats["subscribes"], Count(report, "graphql_subscribes"));
        Assert.Equal(Clients, stats["completed"]);
        Assert.Equal(stats["completed"], Count(report, "graphql_completes"));
        Assert.Equal(0, stats["rejected"]);
        Assert.Equal(0, stats["errors"]);
        Assert.Equal(0, Count(report, "graphql_errors"));
        Assert.Equal(0, Count(report, "graphql_protocol_errors"));
        Assert.Equal(0, Count(report, "pushes_duplicated"));
        Assert.Equal(0, Count(report, "pushes_reordered"));
    }

    [Fact]
    public async Task Every_tick_the_server_pushed_is_received_and_none_is_lost()
    {
        var (report, stats) = await RunAsync("graphql-ticks");
        AssertOneCompleteStreamPerClient(report, stats);
        Assert.Equal(Clients * Items, stats["pushed"]);
        Assert.Equal(stats["pushed"], Count(report, "pushes_received"));
        Assert.Equal(0, Count(report, "pushes_lost"));
    }

    [Fact]
    public async Task The_ticks_the_server_skipped_are_exactly_the_pushes_lost()
    {
        // 40 is not a multiple of 3: the last tick is sent, so every skipped one is a gap before a tick received
        // (a skipped last tick would be indistinguishable from a stream that ends there).
        var (report, stats) = await RunAsync("graphql-drops", "drop-every:3");
        AssertOneCompleteStreamPerClient(report, stats);
        Assert.Equal(Clients * (Items / 3), stats["dropped"]);
        Assert.Equal(Clients * Items, stats["pushed"] + stats["dropped"]);
        Assert.Equal(stats["pushed"], Count(report, "pushes_received"));
        Assert.Equal(stats["dropped"], Count(report, "pushes_lost"));
    }
}
