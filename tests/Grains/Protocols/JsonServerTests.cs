using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// protocol: json against an independent Node server with its own request/response frames (tests/peers/json-server.js:
/// {"op":"add","id":N,..} answered {"re":N,"sum":..}), which drops every Nth reply and refuses some: the server's own
/// counts are the ground truth for lost and failed.
/// </summary>
[Trait("Category", "Integration")]
[Collection(ProbesCollection.Name)]
public sealed class JsonServerTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("json");

    public JsonServerTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private async Task<(JsonObject Report, Dictionary<string, long> Stats)> RunAsync(string name, string correlate, string extra = "")
    {
        var (report, stats, _) = await PeerRun.RunAsync(_temp, name, "json-server.js", ["7", "5"], port => $$"""
            name: {{name}}
            target: ws://127.0.0.1:{{port}}/ws
            clients: 10
            duration: 6s
            protocol: json
            messages: { interval: 200ms, lossTimeout: 1s, size: 96 }
            heartbeat: { interval: 500ms, timeout: 2s, appLevel: true }
            json:
              send: '{"op":"add","id":{seq},"a":{seq},"b":{client},"t":{ts},"pad":"{body}"}'
              correlate: {{correlate}}
              error: { path: error }
              heartbeat:
                send: '{"op":"ping"}'
                expect: { path: op, value: pong }
            {{extra}}
            """);
        return (report, stats);
    }

    private static long Count(JsonObject report, string name) => Contract.Count(report, name);

    [Fact]
    public async Task Reported_lost_and_failed_equal_what_the_server_dropped_and_refused()
    {
        var (report, stats) = await RunAsync("json-add", "{ path: re }");
        var sent = Count(report, "messages_sent");
        Assert.True(sent >= 10 * 20, $"only {sent} sent");
        Assert.Equal(stats["adds"], sent);
        Assert.Equal(stats["dropped"], Count(report, "messages_lost"));
        Assert.Equal(stats["errors"], Count(report, "messages_failed"));
        Assert.Equal(sent, Count(report, "messages_received") + Count(report, "messages_failed") + Count(report, "messages_lost")
            + Count(report, "messages_interrupted") + Count(report, "messages_unresolved"));
        Assert.Equal(0, Count(report, "messages_interrupted"));
        Assert.Equal(0, Count(report, "messages_duplicated"));
        Assert.Equal(10, stats["connections"]);
        // Every app-level ping was the json block's frame and its pong closed it.
        Assert.Equal(stats["pings"], (long)report["metrics"]!["heartbeat_rtt"]!["count"]!);
        Assert.Equal(0, Count(report, "heartbeat_timeouts"));
    }

    [Fact]
    public async Task A_correlation_path_that_never_matches_loses_every_request_and_the_run_still_ends()
    {
        var (report, stats) = await RunAsync("json-nomatch", "{ path: result.id }");
        var sent = Count(report, "messages_sent");
        Assert.True(sent > 0);
        Assert.Equal(stats["adds"], sent);
        Assert.Equal(0, Count(report, "messages_received"));
        Assert.Equal(0, Count(report, "messages_failed"));
        Assert.Equal(sent, Count(report, "messages_lost"));
    }
}
