using System.Text.Json.Nodes;
using SimCluster.Tests.Grains.Protocols;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>
/// The scenarios shipped for a user's own server (scenarios/own-server) run as their comments tell a user to try
/// them: against the test suite's Node peer started with the arguments the file names, with <c>--target</c>
/// pointing at it, scaled down. Every count threshold of the file holds; timings may fail only on a loaded machine.
/// </summary>
[Collection(ScaledRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OwnServerScenarioTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("own-server");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Theory]
    // socketio.yaml's comment: pings every 5 s with a 5 s timeout, sessions kept 30 s, a tick every 100 ms. 30 s
    // leave its zombies (10 s in) the 10 s the server needs to evict them.
    [InlineData("socketio", "socketio-server.js", new[] { "5000", "5000", "recovery:30000", "ticks:100" }, "30s", "/")]
    // graphql-ws.yaml at the peer's defaults: 20 items a subscription, one every 100 ms.
    [InlineData("graphql-ws", "graphql-server.js", new string[0], "20s", "/graphql")]
    public async Task An_own_server_scenario_passes_against_the_peer_its_comment_names(string name, string script, string[] arguments, string duration, string path)
    {
        await using var server = BackgroundProcess.Start(script, ChildProcess.StartInfo("node", [script, "0", .. arguments], NodePeers.Folder), keepInputOpen: true);
        var listening = await server.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the peer listening", TimeSpan.FromSeconds(30));
        var port = listening["listening ".Length..].Trim();
        var outDir = Path.Combine(_temp, name);
        var result = await Simcluster.RunAsync("run", $"scenarios/own-server/{name}.yaml", "--target", $"ws://127.0.0.1:{port}{path}",
            "--clients", "40", "--duration", duration, "--set", "rampUp=2s", "--no-live", "--out", outDir);

        Assert.True(Contract.Graded(result.ExitCode, outDir), result.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();
        Assert.True(Contract.Count(report, "connects") >= 40, result.ToString());
        var countFailures = report["thresholds"]!.AsArray().Select(t => t!.AsObject())
            .Where(t => !t["passed"]!.GetValue<bool>() && !t["toolLimited"]!.GetValue<bool>())
            .Select(t => $"{t["metric"]} {t["expression"]} (actual {t["actual"]})").ToList();
        Assert.True(countFailures.Count == 0, $"thresholds failed: {string.Join("; ", countFailures)}\n{result}");
        server.CloseInput();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }
}
