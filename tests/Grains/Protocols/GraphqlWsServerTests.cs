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
[Collection(LightRunsCollection.Name)]
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

    /// <summary>
    /// One connection per client: a failed connection waits a minute before its next attempt, far beyond the run, so
    /// every close the server makes is one cause in the report, none cut off by the run's end.
    /// </summary>
    private async Task<(JsonObject Report, Dictionary<string, long> Stats, string Line)> OnceAsync(string name, string[] serverOptions, string blocks)
    {
        var (report, stats, line) = await PeerRun.RunAsync(_temp, name, "graphql-server.js", serverOptions, port => $$"""
            name: {{name}}
            target: ws://127.0.0.1:{{port}}/graphql
            clients: {{Clients}}
            duration: 6s
            protocol: graphql-ws
            reconnect: { policy: fixed, base: 60s, jitter: none }
            {{blocks}}
            """);
        return (report, stats, line);
    }

    private static long Cause(JsonObject report, string cause) => report["disconnectCauses"]?[cause]?.GetValue<long>() ?? 0;

    private static string Counts(JsonObject report, string line) =>
        $"disconnects={Count(report, "disconnects")} connect_failures={Count(report, "connect_failures")} causes {report["disconnectCauses"]?.ToJsonString()} | server {line}";

    [Fact]
    public async Task An_init_never_sent_is_closed_4408_by_the_servers_init_timeout_and_named_in_the_causes()
    {
        var (report, stats, line) = await OnceAsync("graphql-init-timeout", ["init-timeout:500"],
            "graphqlWs: { query: \"subscription { ticks { seq } }\", sendInit: false }");
        Assert.True(stats["connections"] == Clients, line);
        Assert.Equal(0, stats["inits"]);
        Assert.True(stats.GetValueOrDefault("close4408") == Clients, line);
        // Closed before connection_ack: the server never had a GraphQL session with the client, so each one is a
        // failed attempt named by the close code, not a connect and a disconnect.
        Assert.True(Cause(report, "connect:close-4408-init-timeout") == Clients, Counts(report, line));
        Assert.Equal(Clients, Count(report, "connect_failures"));
        Assert.Equal(0, Count(report, "connects"));
        Assert.Equal(0, Count(report, "disconnects"));
        Assert.Equal(0, Count(report, "false_disconnects"));
        Assert.Equal(0, Count(report, "graphql_acks"));
        Assert.Equal(0, Count(report, "graphql_subscribes"));
    }

    [Fact]
    public async Task An_init_whose_token_the_server_refuses_is_closed_4403_and_named_forbidden()
    {
        // The token rides in connection_init (auth.send: protocol); the server accepts one token only, never the run's JWTs.
        var (report, stats, line) = await OnceAsync("graphql-forbidden", ["token:the-only-good-token"], """
            graphqlWs: { query: "subscription { ticks { seq } }" }
            auth: { jwt: { generateKey: true, lifetime: 60s }, send: protocol, refresh: { mode: none } }
            """);
        Assert.True(stats["inits"] == Clients, line);
        Assert.Equal(Clients, stats["tokens"]);
        Assert.Equal(Clients, stats["rejected"]);
        Assert.True(stats.GetValueOrDefault("close4403") == Clients, line);
        Assert.True(Cause(report, "connect:close-4403-forbidden") == Clients, Counts(report, line));
        Assert.Equal(Clients, Count(report, "connect_failures"));
        Assert.Equal(Clients, Count(report, "auth_rejections"));
        Assert.Equal(0, Count(report, "connects"));
        Assert.Equal(0, Count(report, "disconnects"));
        Assert.Equal(0, Count(report, "false_disconnects"));
        Assert.Equal(0, Count(report, "graphql_acks"));
        Assert.Equal(0, Count(report, "graphql_subscribes"));
    }

    [Fact]
    public async Task A_subscription_the_schema_rejects_is_an_error_message_counted_and_the_connection_stays()
    {
        var (report, stats, line) = await OnceAsync("graphql-rejected", [],
            "graphqlWs: { query: \"subscription { nope }\", sequencePath: data.nope.seq }");
        Assert.True(stats["subscribes"] == Clients, line);
        Assert.Equal(Clients, stats["errors"]);
        Assert.Equal(stats["acks"], Count(report, "graphql_acks"));
        Assert.Equal(stats["subscribes"], Count(report, "graphql_subscribes"));
        Assert.Equal(stats["errors"], Count(report, "graphql_errors"));
        Assert.Equal(0, stats["pushed"]);
        Assert.Equal(0, Count(report, "pushes_received"));
        Assert.Equal(0, Count(report, "graphql_protocol_errors"));
        Assert.Equal(0, Count(report, "graphql_completes"));
        // An error ends the operation, not the connection: the server closed none.
        Assert.True(report["disconnectCauses"]?.AsObject().All(c => !c.Key.StartsWith("server:", StringComparison.Ordinal)) ?? true, Counts(report, line));
        Assert.Equal(0, stats.Keys.Count(k => k.StartsWith("close4", StringComparison.Ordinal))); // none of the protocol's codes
    }
}
