using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>Installs tests/peers (Node's ws, socket.io, graphql-ws) once, if a dependency is missing from node_modules.</summary>
public sealed class NodePeers : IAsyncLifetime
{
    public static string Folder { get; } = Path.Combine(Simcluster.RepoRoot, "tests", "peers");

    // One gate for every installer: collections that run side by side must not run npm install in the same folder at once.
    public Task InitializeAsync() => SimCluster.Tests.Malformed.NodePeer.InstallAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>SimCluster against an independent echo server (Node's <c>ws</c>), through the real CLI.</summary>
[Collection(ProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class NodePeerTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("node");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    /// <summary>A running echo-server.js; disposing closes its stdin, which stops it and makes it print its counts.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EchoServer()
        {
            var info = ChildProcess.StartInfo("node", ["echo-server.js", "0"], NodePeers.Folder);
            _process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (_lines) _lines.Add(e.Data);
                if (Listening().Match(e.Data) is { Success: true } m) _port.TrySetResult(int.Parse(m.Groups[1].Value));
            };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add("stderr: " + e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            _process.Exited += (_, _) => _port.TrySetException(new InvalidOperationException("echo-server.js exited before listening: " + Output));
            _process.EnableRaisingEvents = true;
        }

        public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

        public Task<int> Port => _port.Task.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>Stops the server and returns its own count of connections and messages.</summary>
        public async Task<(long Connections, long Messages)> StopAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
            _process.WaitForExit();
            var match = Stats().Match(Output);
            Assert.True(match.Success, $"echo-server.js printed no stats:\n{Output}");
            return (long.Parse(match.Groups[1].Value), long.Parse(match.Groups[2].Value));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try { _process.StandardInput.Close(); } catch (IOException) { }
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            }
            await Task.CompletedTask;
            _process.Dispose();
        }
    }

    [GeneratedRegex(@"^listening (\d+)$")]
    private static partial Regex Listening();

    [GeneratedRegex(@"stats connections=(\d+) messages=(\d+)")]
    private static partial Regex Stats();

    [Fact]
    public async Task The_smoke_scenario_passes_against_nodes_ws_echo_server()
    {
        await using var server = new EchoServer();
        var port = await server.Port;
        var outDir = Path.Combine(_temp, "smoke-node");

        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--target", $"ws://127.0.0.1:{port}/", "--no-live", "--out", outDir);
        var (serverConnections, serverMessages) = await server.StopAsync();

        Assert.True(result.ExitCode == 0, result.ToString() + "\n--- echo-server.js\n" + server.Output);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();
        Contract.AssertReportShape(report);
        Assert.Equal("pass", (string?)report["verdict"]);
        Assert.Equal($"ws://127.0.0.1:{port}/", (string?)report["target"]);

        // smoke.yaml has 10 flappers x 3 cycles: every forced drop is followed by one more connect.
        var forcedDrops = Contract.Count(report, "forced_drops");
        Assert.Equal(30, forcedDrops);
        Assert.Equal(20 + forcedDrops, Contract.Count(report, "connects"));
        Assert.Equal(0, Contract.Count(report, "connect_failures"));
        Assert.Equal(0, Contract.Count(report, "false_disconnects"));

        // Every message came back, except those in flight at the instant of a forced drop (at most one per
        // drop at a 250 ms interval), which count as interrupted; none was lost, none came back twice.
        var sent = Contract.Count(report, "messages_sent");
        var received = Contract.Count(report, "messages_received");
        var interrupted = Contract.Count(report, "messages_interrupted");
        Assert.True(sent > 0);
        Assert.Equal(0, Contract.Count(report, "messages_lost"));
        Assert.Equal(0, Contract.Count(report, "messages_duplicated"));
        Assert.Equal(sent, received + interrupted);
        Assert.InRange(interrupted, 0, forcedDrops);

        // The independent server's own counts agree with the tool's.
        Assert.Equal(Contract.Count(report, "connects"), serverConnections);
        Assert.InRange(serverMessages, received, sent);
    }
}
