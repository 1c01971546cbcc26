using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Auth;

/// <summary>
/// In-band refresh against a server that does not speak the session protocol (tests/peers/reauth-server.js,
/// Node's ws): the scenario gives the server's own refresh frame (refresh.message) and acknowledgement
/// (refresh.expect / refresh.reject).
/// </summary>
// 20 clients against a Node server: a light run, in the Probes lane to balance it with LightRuns.
[Collection(TokenRunsCollection.Name)]
public sealed class CustomRefreshTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("reauth");

    public CustomRefreshTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_custom_refresh_frame_is_sent_and_its_answer_recognised(bool replayOld)
    {
        await using var server = BackgroundProcess.Start("reauth-server.js", ChildProcess.StartInfo("node", ["reauth-server.js", "0"], NodePeers.Folder), keepInputOpen: true);
        var listening = await server.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the server listening", TimeSpan.FromSeconds(30));
        var scenario = Path.Combine(_temp, $"reauth-{replayOld}.yaml");
        File.WriteAllText(scenario, $$"""
            name: reauth
            target: ws://127.0.0.1:{{listening["listening ".Length..]}}/ws
            clients: 20
            duration: 12s
            messages: { interval: 500ms }
            auth:
              jwt: { generateKey: true, lifetime: 4s }
              send: query
              refresh:
                mode: in-band
                before: 2s
                replayOld: {{(replayOld ? "true" : "false")}}
                message: '{"op":"reauth","jwt":"{token}"}'
                expect: '"op":"reauthed"'
                reject: '"op":"denied"'
            """);
        var outDir = Path.Combine(_temp, $"report-{replayOld}");
        var run = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();

        // Tokens of 4 s (exp in whole seconds) refreshed 2 s before expiry over 12 s: a refresh every 1-2 s.
        var refreshes = Contract.Count(report, "token_refreshes");
        Assert.InRange(refreshes, 20 * 5, 20 * 12);
        Assert.Equal(0, Contract.Count(report, "token_refresh_failures"));
        Assert.Equal(refreshes, (long)report["metrics"]!["token_refresh_time"]!["count"]!);
        Assert.Equal(0, Contract.Count(report, "messages_lost"));
        Assert.Equal(0, Contract.Count(report, "disconnects"));

        // The server's own account: every acknowledged refresh was one it granted, every replay one it denied.
        server.CloseInput();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var stats = server.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("stats ", StringComparison.Ordinal));
        var books = $"server: {stats}; client: refreshes {refreshes}, auth_rejections {Contract.Count(report, "auth_rejections")}, replays accepted {Contract.Count(report, "token_replays_accepted")}";
        Assert.True(stats.Contains($"connections=20 reauths={refreshes} ", StringComparison.Ordinal), books);
        if (replayOld) Assert.EndsWith($"denied={Contract.Count(report, "auth_rejections")}", stats);
        if (replayOld)
        {
            Assert.Equal(0, Contract.Count(report, "token_replays_accepted"));
            Assert.Equal(refreshes, Contract.Count(report, "auth_rejections"));
        }
        else
        {
            Assert.Equal(0, Contract.Count(report, "auth_rejections"));
        }
    }
}
