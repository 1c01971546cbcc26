using System.Globalization;
using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// Socket.IO and graphql-ws over wss:// against the real npm servers speaking TLS with a certificate of a private CA
/// the test makes, which the scenario trusts with connect.caFile (and nothing else: the system's store does not
/// know it). The books are the servers' own; both drivers.
/// </summary>
[Trait("Category", "Integration")]
[Collection(TokenRunsCollection.Name)]
public sealed class WssPeerTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("wss-peers");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private async Task<(JsonObject Report, Dictionary<string, long> Stats, string Line)> RunAsync(string name, string script, string[] arguments, string scenarioBody, string driver)
    {
        using var ca = TestCertificates.Ca();
        using var server = TestCertificates.Server(ca);
        File.WriteAllText(Path.Combine(_temp, "ca.pem"), TestCertificates.Pem(ca));
        File.WriteAllText(Path.Combine(_temp, "server.pem"), TestCertificates.Pem(server));
        File.WriteAllText(Path.Combine(_temp, "server.key"), TestCertificates.KeyPem(server));
        var info = ChildProcess.StartInfo("node", [script, "0", .. arguments], NodePeers.Folder);
        info.Environment["PEER_TLS_CERT"] = Path.Combine(_temp, "server.pem");
        info.Environment["PEER_TLS_KEY"] = Path.Combine(_temp, "server.key");
        await using var peer = BackgroundProcess.Start(script, info, keepInputOpen: true);
        var listening = await peer.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the peer listening", TimeSpan.FromSeconds(30));
        var port = listening["listening ".Length..].Trim();
        var scenario = Path.Combine(_temp, $"{name}.yaml");
        File.WriteAllText(scenario, scenarioBody.Replace("PORT", port, StringComparison.Ordinal) + $"driver: {driver}\nconnect: {{ caFile: ca.pem }}\n");
        var outDir = Path.Combine(_temp, $"report-{name}");
        var run = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir);
        Assert.True(File.Exists(Path.Combine(outDir, "report.json")), run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();
        peer.CloseInput();
        await peer.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var line = peer.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("stats ", StringComparison.Ordinal));
        var stats = line["stats ".Length..].Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        Assert.True(run.ExitCode == 0, $"{line}\n{run}");
        return (report, stats, $"{line}\n{run}");
    }

    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task Socketio_over_wss_with_a_private_ca_has_every_ack_the_server_counted(string driver)
    {
        var (report, stats, line) = await RunAsync($"socketio-wss-{driver}", "socketio-server.js", ["1000", "2000"], """
            name: socketio-wss
            target: wss://127.0.0.1:PORT
            protocol: socketio
            clients: 6
            duration: 4s
            seed: 26
            messages: { interval: 200ms, lossTimeout: 2s, size: 64 }

            """, driver);
        Assert.True(stats["connections"] == 6, line);
        Assert.Equal(stats["connections"], Contract.Count(report, "connects"));
        Assert.Equal(stats["acks"], Contract.Count(report, "messages_received"));
        Assert.Equal(Contract.Count(report, "messages_sent"), Contract.Count(report, "messages_received"));
        Assert.Equal(0, Contract.Count(report, "connect_failures"));
    }

    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task Graphql_ws_over_wss_with_a_private_ca_receives_every_item_the_server_pushed(string driver)
    {
        var (report, stats, line) = await RunAsync($"graphql-wss-{driver}", "graphql-server.js", ["items:10", "every:100"], """
            name: graphql-wss
            target: wss://127.0.0.1:PORT/graphql
            protocol: graphql-ws
            clients: 6
            duration: 4s
            seed: 27
            graphqlWs: { query: "subscription { ticks { seq } }", sequencePath: data.ticks.seq }

            """, driver);
        Assert.True(stats["acks"] == 6, line);
        Assert.Equal(stats["acks"], Contract.Count(report, "graphql_acks"));
        Assert.Equal(stats["pushed"], Contract.Count(report, "pushes_received"));
        Assert.Equal(60, stats["pushed"]);
        Assert.Equal(0, Contract.Count(report, "pushes_lost"));
        Assert.Equal(0, Contract.Count(report, "connect_failures"));
    }
}
