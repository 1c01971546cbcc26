using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Grains.Protocols;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Transport;

/// <summary>
/// The connect block against an independent server (Node's ws, tests/peers/connect-server.js, which prints what each
/// upgrade carried): what arrived is what the scenario said, for both drivers, with the secret read from the CLI's
/// environment and found nowhere in the report or the output; a server choosing no or another subprotocol is a
/// classified connect failure, counted once per upgrade the server completed.
/// </summary>
[Trait("Category", "Integration")]
[Collection(ProbesCollection.Name)]
public sealed class ConnectBlockServerTests : IClassFixture<NodePeers>, IDisposable
{
    private const string SecretVariable = "SIMCLUSTER_TEST_CONNECT_KEY";
    private readonly string _temp = Simcluster.TempFolder("connect");

    public ConnectBlockServerTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static string Scenario(string name, string port, string driver, string extra = "") => $$"""
        name: {{name}}
        target: ws://127.0.0.1:{{port}}/ws?fixed=1
        clients: 4
        duration: 3s
        driver: {{driver}}
        messages: { interval: 200ms, lossTimeout: 1s }
        connect:
          subprotocols: [chat.v2, chat.v1]
          origin: https://tenant{client}.example.com
          headers:
            X-Tenant: tenant-{client}
            X-Api-Key: { secretEnv: {{SecretVariable}} }
          query:
            user: 'u {client}&x=y'
            attempt: '{seq}'
        {{extra}}
        """;

    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task What_arrived_at_the_server_is_what_the_scenario_said(string driver)
    {
        var secret = "k-" + Guid.NewGuid().ToString("N");
        var name = $"connect-{driver}";
        var (report, stats, _, output) = await PeerRun.RunWithOutputAsync(_temp, name, "connect-server.js", ["pick"],
            port => Scenario(name, port, driver), new Dictionary<string, string> { [SecretVariable] = secret });

        Assert.Equal(4, stats["connections"]);
        Assert.Equal(4, stats["chosen"]);
        Assert.Equal(4, Contract.Count(report, "connects"));
        Assert.Equal(0, Contract.Count(report, "connect_failures"));
        Assert.True(Contract.Count(report, "messages_received") > 0, output.Cli);
        var seen = output.Peer.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("seen ", StringComparison.Ordinal))
            .Select(l => JsonNode.Parse(l["seen ".Length..])!.AsObject()).ToList();
        Assert.Equal(4, seen.Count);
        var clients = new List<int>();
        foreach (var request in seen)
        {
            var user = (string)request["query"]!["user"]!;
            Assert.Matches(@"^u \d+&x=y$", user);
            var client = int.Parse(user[2..^4], System.Globalization.CultureInfo.InvariantCulture);
            clients.Add(client);
            Assert.Equal("/ws", (string)request["path"]!);
            Assert.Equal("1", (string)request["query"]!["fixed"]!);
            Assert.Equal("1", (string)request["query"]!["attempt"]!);
            Assert.Equal(3, request["query"]!.AsObject().Count);
            Assert.Equal($"https://tenant{client}.example.com", (string)request["origin"]!);
            Assert.Equal($"tenant-{client}", (string)request["headers"]!["x-tenant"]!);
            Assert.Equal(secret, (string)request["headers"]!["x-api-key"]!);
            Assert.Equal(["chat.v2", "chat.v1"], request["offered"]!.AsArray().Select(p => (string)p!));
            Assert.Equal("chat.v2", (string)request["chosen"]!);
        }
        Assert.Equal([0, 1, 2, 3], clients.Order());
        // The secret went to the server only: not into the report folder, nor anything the CLI printed.
        Assert.DoesNotContain(secret, output.Cli);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_temp, $"report-{name}"), "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(secret, File.ReadAllText(file));
    }

    [Fact]
    public async Task A_secret_the_run_cannot_read_stops_it_before_anything_starts_naming_where_it_is_written()
    {
        var scenario = Path.Combine(_temp, "unset.yaml");
        File.WriteAllText(scenario, Scenario("connect-unset", "9", "lean"));
        var run = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", Path.Combine(_temp, "report-unset"));
        Assert.Equal(SimCluster.Cli.ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"unset.yaml:12:29: connect.headers.X-Api-Key.secretEnv: environment variable {SecretVariable} is not set", run.Stderr);
        Assert.False(File.Exists(Path.Combine(_temp, "report-unset", "report.json")));
    }

    [Theory]
    [InlineData("none", "websocket-client", "no-subprotocol")]
    [InlineData("other", "lean", "unoffered-subprotocol")]
    public async Task A_server_choosing_no_or_another_subprotocol_fails_every_connect_classified(string mode, string driver, string label)
    {
        var name = $"connect-{mode}";
        var (report, stats, _, output) = await PeerRun.RunWithOutputAsync(_temp, name, "connect-server.js", [mode],
            port => Scenario(name, port, driver, "reconnect: { policy: fixed, base: 100ms, jitter: none, maxAttempts: 3 }"),
            new Dictionary<string, string> { [SecretVariable] = "unused-" + Guid.NewGuid().ToString("N") });

        var failures = Contract.Count(report, "connect_failures");
        Assert.Equal(0, Contract.Count(report, "connects"));
        Assert.True(failures >= 4, output.Cli);
        // Every upgrade the server completed is one failed connect, all of them of this cause.
        Assert.Equal(stats["connections"], failures);
        Assert.Equal(stats["offered"], failures);
        Assert.Equal(mode == "other" ? failures : 0, stats["chosen"]);
        var connectErrors = report["connectErrors"]!.AsObject();
        Assert.Equal(failures, (long)connectErrors[label]!);
        Assert.Single(connectErrors);
    }
}
