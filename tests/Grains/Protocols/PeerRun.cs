using System.Globalization;
using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// One CLI run against a Node peer of tests/peers that keeps its own counts: the peer is started on a free port, the
/// scenario written for that port, the run made, then the peer stopped and its <c>stats key=value ...</c> line read.
/// </summary>
internal static class PeerRun
{
    /// <param name="scenarioFor">The scenario's text for the peer's port.</param>
    public static async Task<(JsonObject Report, Dictionary<string, long> Stats, string StatsLine)> RunAsync(
        string temp, string name, string script, IEnumerable<string> arguments, Func<string, string> scenarioFor)
    {
        var (report, stats, line, _) = await RunWithOutputAsync(temp, name, script, arguments, scenarioFor);
        return (report, stats, line);
    }

    /// <summary>Like <see cref="RunAsync"/>, with the CLI's environment given, and also the peer's whole output and the CLI's.</summary>
    public static async Task<(JsonObject Report, Dictionary<string, long> Stats, string StatsLine, (string Peer, string Cli) Output)> RunWithOutputAsync(
        string temp, string name, string script, IEnumerable<string> arguments, Func<string, string> scenarioFor,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var server = BackgroundProcess.Start(script, ChildProcess.StartInfo("node", [script, "0", .. arguments], NodePeers.Folder), keepInputOpen: true);
        var listening = await server.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the server listening", TimeSpan.FromSeconds(30));
        var scenario = Path.Combine(temp, $"{name}.yaml");
        File.WriteAllText(scenario, scenarioFor(listening["listening ".Length..]));
        var outDir = Path.Combine(temp, $"report-{name}");
        var run = await Simcluster.RunWithEnvironmentAsync(environment ?? new Dictionary<string, string>(), "run", scenario, "--no-live", "--out", outDir);
        var reportPath = Path.Combine(outDir, "report.json");
        Assert.True(File.Exists(reportPath), run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(reportPath))!.AsObject();
        server.CloseInput();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var line = server.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("stats ", StringComparison.Ordinal));
        var stats = line["stats ".Length..].Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        return (report, stats, line, (server.Output, run.ToString()));
    }
}
