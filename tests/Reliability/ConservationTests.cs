using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;
using Xunit.Abstractions;

namespace SimCluster.Tests.Reliability;

/// <summary>
/// Every count equals what an independent server counted. Node's <c>ws</c> peers (tests/peers: echo-server.js
/// and session-server.js, which number, drop, discard and duplicate by themselves and print their own counts)
/// against the real CLI: lost and duplicated equal the server's counts exactly, sent equals what the server
/// received, and the books balance, at interval/lossTimeout pairs that include interval >= lossTimeout, every
/// run ending with messages inside their window. Offered load: what the server received is the schedule
/// (clients x duration / interval) on every link profile, whatever its latency.
/// </summary>
[Collection(TokenRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class ConservationTests : IClassFixture<NodePeers>, IDisposable
{
    private const int Clients = 5;
    private readonly string _temp = Simcluster.TempFolder("conservation");

    private readonly ITestOutputHelper _output;

    public ConservationTests(NodePeers peers, ITestOutputHelper output)
    {
        GC.KeepAlive(peers);
        _output = output;
    }

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    /// <summary>A peer process: started, its port read, stopped by closing stdin, its final stats line parsed.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Peer(string script, params string[] args)
        {
            _process = Process.Start(ChildProcess.StartInfo("node", [script, "0", .. args], NodePeers.Folder))
                ?? throw new InvalidOperationException("could not start node");
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (_lines) _lines.Add(e.Data);
                if (Listening().Match(e.Data) is { Success: true } m) _port.TrySetResult(int.Parse(m.Groups[1].Value));
            };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add("stderr: " + e.Data); };
            _process.EnableRaisingEvents = true;
            _process.Exited += (_, _) => _port.TrySetException(new InvalidOperationException($"{script} exited before listening: {Output}"));
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

        public Task<int> Port => _port.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public async Task<Dictionary<string, long>> StopAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token);
            _process.WaitForExit();
            var line = Output.Split('\n').LastOrDefault(l => l.StartsWith("stats ", StringComparison.Ordinal));
            Assert.True(line is not null, "no stats line:\n" + Output);
            return Fields().Matches(line).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value));
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try { _process.StandardInput.Close(); } catch (IOException) { }
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private async Task<(JsonObject Report, Dictionary<string, long> Server, ProcessResult Run)> RunAsync(
        string protocol, string profile, string interval, string lossTimeout, string duration, string driver, params string[] peerArgs)
    {
        var session = protocol == "session";
        await using var peer = new Peer(session ? "session-server.js" : "echo-server.js", session ? [string.Join(',', peerArgs.DefaultIfEmpty("correct"))] : peerArgs);
        var port = await peer.Port;
        var name = $"{protocol}-{profile}-{interval}-{lossTimeout}-{driver}";
        var scenario = Path.Combine(_temp, name + ".yaml");
        await File.WriteAllTextAsync(scenario, $$"""
            name: conservation
            target: ws://127.0.0.1:{{port}}/
            clients: {{Clients}}
            duration: {{duration}}
            seed: 17
            protocol: {{protocol}}
            driver: {{driver}}
            messages: { interval: {{interval}}, size: 64, lossTimeout: {{lossTimeout}} }
            network: { profile: {{profile}} }
            """);
        var outDir = Path.Combine(_temp, name);
        var run = await Simcluster.RunAsync("run", scenario, "--no-live", "--out", outDir);
        var server = await peer.StopAsync();
        Assert.True(File.Exists(Path.Combine(outDir, "report.json")), run + "\n--- peer\n" + peer.Output);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();
        string[] books = ["messages_planned", "messages_sent", "messages_received", "messages_lost", "messages_duplicated", "messages_interrupted", "messages_unresolved", "messages_late"];
        _output.WriteLine($"{name}: server {string.Join(' ', server.Select(kv => $"{kv.Key}={kv.Value}"))}; report {string.Join(' ', books.Select(b => $"{b}={Count(report, b)}"))}");
        return (report, server, run);
    }

    private static long Count(JsonObject report, string metric) => Contract.Count(report, metric);

    private static void AssertBooksBalance(JsonObject report) => Assert.Equal(
        Count(report, "messages_sent"),
        Count(report, "messages_received") + Count(report, "messages_lost") + Count(report, "messages_interrupted") + Count(report, "messages_unresolved"));

    // Both drivers keep the same books: each case runs one of them, so both meet every server mode.
    [Theory]
    [InlineData("100ms", "1s", "lean")]   // many messages inside their window at the end
    [InlineData("400ms", "300ms", "lean")] // interval >= lossTimeout: loss is booked before anything else happens
    [InlineData("250ms", "250ms", "websocket-client")]
    public async Task Echo_lost_and_duplicated_equal_what_the_server_dropped_and_duplicated(string interval, string lossTimeout, string driver)
    {
        var (report, server, run) = await RunAsync("echo", "ethernet", interval, lossTimeout, "3s", driver, "drop-every:7", "dup-every:5");

        Assert.True(server["dropped"] > 0 && server["duplicated"] > 0, run.ToString());
        Assert.Equal(server["messages"], Count(report, "messages_sent"));
        // Every message the server kept was echoed: in time (received) or after its lossTimeout (lost, and late as
        // well, which a busy machine makes happen). What is lost without coming late is exactly what the server dropped.
        Assert.Equal(server["dropped"], Count(report, "messages_lost") - Count(report, "messages_late"));
        Assert.Equal(server["duplicated"], Count(report, "messages_duplicated"));
        Assert.Equal(0, Count(report, "messages_interrupted")); // our own close at the end interrupts nothing
        Assert.Equal(0, Count(report, "messages_unresolved"));
        AssertBooksBalance(report);
        Assert.Equal(Count(report, "messages_planned"), Count(report, "messages_sent"));
    }

    [Theory]
    [InlineData("100ms", "1s", "websocket-client")]
    [InlineData("400ms", "300ms", "lean")]
    public async Task Session_lost_and_duplicated_equal_what_the_server_discarded_dropped_and_duplicated(string interval, string lossTimeout, string driver)
    {
        var (report, server, run) = await RunAsync("session", "ethernet", interval, lossTimeout, "3s", driver, "discard-every:7", "drop-every:4", "dup-every:5");

        Assert.True(server["discarded"] > 0 && server["dropped"] > 0 && server["duplicated"] > 0, run.ToString());
        Assert.Equal(server["received"], Count(report, "messages_sent"));
        Assert.Equal(server["discarded"] + server["dropped"], Count(report, "messages_lost"));
        Assert.Equal(server["duplicated"], Count(report, "messages_duplicated"));
        Assert.Equal(server["echoed"], Count(report, "messages_received"));
        Assert.Equal(0, Count(report, "messages_unresolved"));
        AssertBooksBalance(report);
    }

    /// <summary>Offered load is the schedule, whatever the link: no fire skipped, none added.</summary>
    [Theory]
    [InlineData("echo", "ethernet", "lean")]
    [InlineData("echo", "4g", "websocket-client")]
    [InlineData("echo", "satellite", "lean")]
    [InlineData("session", "ethernet", "websocket-client")]
    [InlineData("session", "4g", "lean")]
    [InlineData("session", "satellite", "websocket-client")]
    public async Task What_the_server_received_is_the_planned_load_on_slow_links(string protocol, string profile, string driver)
    {
        var (report, server, run) = await RunAsync(protocol, profile, "200ms", "3s", "4s", driver);

        var expected = Clients * 4.0 / 0.2; // clients x (duration - rampUp) / interval
        var received = protocol == "session" ? server["received"] : server["messages"];
        Assert.True(Math.Abs(received - expected) <= expected * 0.01, $"server received {received}, planned {expected}\n{run}");
        Assert.Equal((long)expected, Count(report, "messages_planned"));
        Assert.Equal(received, Count(report, "messages_sent"));
        Assert.Equal(0, Count(report, "messages_lost"));
        AssertBooksBalance(report);
        Assert.True(report["metrics"]!["send_lag"]!["count"]!.GetValue<long>() == Count(report, "messages_sent"), "every send has its lag recorded");
    }

    [GeneratedRegex(@"^listening (\d+)$")]
    private static partial Regex Listening();

    [GeneratedRegex(@"(\w+)=(\d+)")]
    private static partial Regex Fields();
}
