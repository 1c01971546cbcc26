using System.Text.Json.Nodes;
using SimCluster.Tests.Support;
using Xunit.Abstractions;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 10: the real CLI against every hostile server at once (one per misbehaviour, two clients each),
/// once per driver. The tool must end the run by itself, write its report, classify every failure
/// (connectErrors, disconnectCauses) and keep its memory bounded: the maximum message size is enforced on
/// receive, from the frame header, so a 1 GiB frame costs nothing.
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileTargetTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>A bare run's peak RSS is ~150-250 MB; buffering the 1 GiB frame would put it over 1 GB.</summary>
    private const double MaxToolRssMb = 600;

    private readonly string _temp = Simcluster.TempFolder("hostile");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task Every_hostile_server_is_survived_classified_and_bounded(string driver)
    {
        var servers = Enum.GetValues<Hostility>().ToDictionary(h => h, h => new HostileServer(h));
        try
        {
            var hostile = Enum.GetValues<Hostility>();
            var scenario = Path.Combine(_temp, $"hostile-{driver}.yaml");
            // Client i goes to target i % (number of servers): two clients per hostile server. The silent server's clients are
            // still connecting when the run ends (10 s connect timeout): the run must end regardless;
            // HostileTransportTests checks that it is classified as a timeout.
            await File.WriteAllTextAsync(scenario, $"""
                name: hostile-{driver}
                target: [{string.Join(", ", hostile.Select(h => servers[h].Url))}]
                clients: {hostile.Length * 2}
                duration: 5s
                driver: {driver}
                seed: 10
                messages: {"{"} interval: 1s, size: 64, lossTimeout: 5s, maxReceiveSize: 1048576 {"}"}
                reconnect: {"{"} policy: exponential, base: 100ms, max: 1s, jitter: full {"}"}
                thresholds:
                  connect_failures: ["count==0"]
                """);
            var outDir = Path.Combine(_temp, driver);

            var result = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir);

            // Exit 99: the run completed and the connect_failures threshold failed (ExitCodes).
            Assert.True(result.ExitCode == 99, result.ToString()); // and no hang: Simcluster.RunAsync bounds the run
            var reportPath = Path.Combine(outDir, "report.json");
            Assert.True(File.Exists(reportPath), result.ToString());
            var report = JsonNode.Parse(await File.ReadAllTextAsync(reportPath))!.AsObject();
            Assert.False((bool)report["partial"]!);

            foreach (var (h, server) in servers) Assert.True(server.Connections > 0, $"{h}: no client connected");

            var connectErrors = report["connectErrors"]!.AsObject();
            var causes = report["disconnectCauses"]!.AsObject();
            output.WriteLine($"{driver}: connectErrors {connectErrors.ToJsonString()}, disconnectCauses {causes.ToJsonString()}, closeCodes {report["closeCodes"]!.ToJsonString()}");
            Assert.True(Count(connectErrors, "bad-response") > 0, $"garbage handshake not classified: {connectErrors.ToJsonString()}");
            Assert.True(Count(connectErrors, "bad-upgrade") > 0, $"wrong accept key not classified: {connectErrors.ToJsonString()}");
            // Giant frame and endless fragments: refused from the header, never buffered.
            Assert.True(Count(causes, "server:message-too-big") >= servers[Hostility.GiantFrame].Connections, $"oversized messages not classified: {causes.ToJsonString()}");
            Assert.True(Count(causes, "server:closed-mid-frame") > 0, $"mid-frame close not classified: {causes.ToJsonString()}");
            Assert.True(Count(causes, "server:protocol-error") > 0, $"invalid UTF-8 not classified: {causes.ToJsonString()}");
            var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"));
            Assert.Contains("Disconnect causes", html);
            Assert.Contains("message-too-big", html);

            // Bounded memory: the giant frame's payload was never read (the server only got its socket
            // buffers' worth out per connection), and the tool's exact peak RSS stays far below 1 GiB.
            var giant = servers[Hostility.GiantFrame];
            var perConnection = giant.BytesSent / Math.Max(1, giant.Connections);
            var tool = report["tool"]!.AsObject();
            var peak = (double?)tool["highWaterRssMb"] ?? (double)tool["peakRssMb"]!;
            output.WriteLine($"{driver}: tool peak RSS {peak} MB (sampled {tool["peakRssMb"]} MB); giant-frame server: {giant.Connections} connections, " +
                             $"{perConnection / 1_048_576.0:F1} MB sent per connection; flood server: {servers[Hostility.Flood].BytesSent / 1_048_576.0:F0} MB sent");
            Assert.True(perConnection < 64L * 1024 * 1024, $"the client read {perConnection} bytes of a 1 GiB frame per connection");
            Assert.True(peak < MaxToolRssMb, $"tool peak RSS {peak} MB");
            Assert.True(servers[Hostility.Flood].BytesSent > 1024 * 1024, "the flood server sent next to nothing");
        }
        finally
        {
            foreach (var server in servers.Values) await server.DisposeAsync();
        }
    }

    /// <summary>
    /// A server that starts a fragmented message and never finishes it (holding the connection open, a PING
    /// after the first fragment) gets its connections reset after <c>lossTimeout</c>, counted as
    /// <c>server:stalled-fragment</c>: the run ends on time with the cause in report.json and its wording in
    /// report.html, not as lost messages alone.
    /// </summary>
    [Theory]
    [InlineData("websocket-client")]
    [InlineData("lean")]
    public async Task A_fragmented_message_that_never_finishes_ends_the_connection_with_its_cause(string driver)
    {
        await using var server = new HostileServer(Hostility.StalledFragment);
        var scenario = Path.Combine(_temp, $"stalled-{driver}.yaml");
        await File.WriteAllTextAsync(scenario, $"""
            name: stalled-fragment-{driver}
            target: {server.Url}
            clients: 2
            duration: 4s
            driver: {driver}
            seed: 23
            messages: {"{"} interval: 500ms, size: 64, lossTimeout: 1s {"}"}
            reconnect: {"{"} policy: exponential, base: 100ms, max: 500ms, jitter: full {"}"}
            """);
        var outDir = Path.Combine(_temp, "stalled-" + driver);

        var result = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir);

        // No hang: Simcluster.RunAsync bounds the run and fails the test past its bound.
        var reportPath = Path.Combine(outDir, "report.json");
        Assert.True(File.Exists(reportPath), result.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(reportPath))!.AsObject();
        Assert.False((bool)report["partial"]!);
        var causes = report["disconnectCauses"]!.AsObject();
        output.WriteLine($"{driver}: {server.Connections} connections, disconnectCauses {causes.ToJsonString()}");
        var stalled = Count(causes, "server:stalled-fragment");
        Assert.True(stalled >= 2, $"stalled fragments not classified: {causes.ToJsonString()}");
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"));
        Assert.Contains("did not finish it within lossTimeout", html);
    }

    private static long Count(JsonObject tally, string key) => tally[key] is { } n ? (long)n : 0;
}
