using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Metrics;
using SimCluster.Tests.Support;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>
/// The tool survives every reply: garbage after the upgrade, a frame header announcing 2^63 bytes, a server that
/// never answers, an endless HTTP header block, a reset. Every case ends within its bounds with a verdict or a
/// classified connect error, never an exception or a hang.
/// </summary>
public sealed partial class SurvivalTests
{
    /// <summary>A TCP server on a free loopback port that does whatever <paramref name="behave"/> says with each connection.</summary>
    private sealed class HostileServer(Func<Socket, CancellationToken, Task> behave) : IAsyncDisposable
    {
        private readonly LoopbackListener _listener = new(behave);

        public Uri Uri => new($"ws://127.0.0.1:{_listener.Port}/");

        public ValueTask DisposeAsync() => _listener.DisposeAsync();
    }

    /// <summary>Reads the upgrade request and answers 101 with the right accept key.</summary>
    private static async Task UpgradeAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) < 0)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), ct);
            if (n == 0) throw new IOException("closed");
            filled += n;
        }
        var key = Key().Match(Encoding.ASCII.GetString(buffer, 0, filled)).Groups[1].Value.Trim();
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {UpgradeHandshake.ExpectedAccept(key)}\r\n\r\n"), ct);
    }

    [GeneratedRegex(@"Sec-WebSocket-Key:\s*(\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex Key();

    private static async Task<CaseRun> RunAsync(Uri target, string id, TimeSpan within)
    {
        var started = DateTime.UtcNow;
        var run = await Eventually.Within(CaseRunner.RunAsync(CaseCatalogue.Get(id), CaseHarness.Context(target), CancellationToken.None), $"{id} against a hostile server", within);
        Assert.Null(run.ToolError);
        Assert.True(DateTime.UtcNow - started < within);
        return run;
    }

    [Fact]
    public async Task Garbage_after_the_upgrade_is_read_and_bounded()
    {
        await using var server = new HostileServer(async (socket, ct) =>
        {
            await UpgradeAsync(socket, ct);
            var junk = new byte[64 * 1024];
            var random = new Random(1);
            for (var i = 0; i < 256 && !ct.IsCancellationRequested; i++) // 16 MB of random bytes
            {
                random.NextBytes(junk);
                await socket.SendAsync(junk, ct);
            }
            await Task.Delay(Timeout.Infinite, ct);
        });
        var run = await RunAsync(server.Uri, "F01", TimeSpan.FromSeconds(20));
        Assert.Single(run.Observations);
        _ = CaseGrader.Grade(run.Case, run.Observations); // some verdict, whatever the garbage decoded to
    }

    [Fact]
    public async Task A_frame_announcing_2_pow_63_bytes_is_skipped_not_buffered_and_the_case_times_out()
    {
        await using var server = new HostileServer(async (socket, ct) =>
        {
            await UpgradeAsync(socket, ct);
            await socket.SendAsync(new byte[] { 0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, ct);
            var zeros = new byte[64 * 1024];
            while (!ct.IsCancellationRequested) { await socket.SendAsync(zeros, ct); await Task.Delay(5, ct); }
        });
        var run = await RunAsync(server.Uri, "F05", TimeSpan.FromSeconds(20));
        Assert.Equal(Verdict.Timeout, CaseGrader.Grade(run.Case, run.Observations).Verdict);
    }

    [Fact]
    public async Task A_server_that_never_answers_costs_a_bounded_wait()
    {
        await using var server = new HostileServer((_, ct) => Task.Delay(Timeout.Infinite, ct));
        var frame = await RunAsync(server.Uri, "F01", TimeSpan.FromSeconds(20));
        Assert.Equal(ConnectFailure.Timeout, frame.ConnectError?.Failure); // the upgrade never completed: the case could not run
        var handshake = await RunAsync(server.Uri, "F24", TimeSpan.FromSeconds(40));
        Assert.Equal(Verdict.Timeout, CaseGrader.Grade(handshake.Case, handshake.Observations).Verdict);
    }

    [Fact]
    public async Task An_endless_HTTP_header_block_is_cut_at_16_KB()
    {
        await using var server = new HostileServer(async (socket, ct) =>
        {
            await socket.SendAsync("HTTP/1.1 101 Switching Protocols\r\n"u8.ToArray(), ct);
            var line = "X-Padding: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"u8.ToArray();
            while (!ct.IsCancellationRequested) await socket.SendAsync(line, ct);
        });
        var handshake = await RunAsync(server.Uri, "F24", TimeSpan.FromSeconds(30));
        Assert.All(handshake.Observations, o => Assert.Equal("not an HTTP response", o.Detail));
        var frame = await RunAsync(server.Uri, "F01", TimeSpan.FromSeconds(20));
        Assert.NotNull(frame.ConnectError);
    }

    [Fact]
    public async Task A_reset_right_after_the_upgrade_is_a_drop()
    {
        await using var server = new HostileServer(async (socket, ct) =>
        {
            await UpgradeAsync(socket, ct);
            await Task.Delay(100, ct);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });
        var run = await RunAsync(server.Uri, "F01", TimeSpan.FromSeconds(20));
        Assert.Equal(Reaction.Dropped, run.Observations[0].Reaction);
        Assert.Equal(Verdict.Unclean, CaseGrader.Grade(run.Case, run.Observations).Verdict);
    }
}

/// <summary>A server that dies on a case is reported as such, with the case named.</summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CrashAttributionTests(CrashingLaxPeer server) : IClassFixture<CrashingLaxPeer>
{
    [Fact]
    public async Task An_attacker_names_the_case_after_which_the_server_stopped_accepting()
    {
        var results = new SiloCaseResults();
        var metrics = new GroupRecorder("attackers");
        var options = new ConnectOptions { Target = server.Uri, ConnectTimeout = TimeSpan.FromSeconds(3) };
        var runner = new AttackerRunner("crash", new MalformedPlan { Cases = ["F01", "F19"] }, attacker: 1, attackers: 2, client: 7, options, metrics, results, TimeProvider.System);
        runner.Start(TimeSpan.Zero);
        try
        {
            await Eventually.TrueAsync(() => results.Snapshot("crash").Any(t => t.Id == "F19" && t.ServerDownAfter > 0), "F19 named as the case that took the server down", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await runner.StopAsync();
        }
        var f19 = results.Snapshot("crash").Single(t => t.Id == "F19");
        Assert.Equal("UNCLEAN", f19.Worst); // the process died: the connection dropped without a Close frame
        Assert.Contains("server stopped accepting after this case", f19.LastError);
        Assert.True(server.HasExited, "the lax server was started with --crash-on-huge-length and must have exited");
        Assert.True(metrics.Read(MetricNames.MalformedServerDown) > 0);
        Assert.True(metrics.Read(MetricNames.MalformedCases) > 0);
    }
}

/// <summary>The lax server in its crashing mode: it exits on a frame length above 2^53 (F19).</summary>
public sealed class CrashingLaxPeer : NodePeer
{
    protected override string Script => "lax-server.js";

    protected override IEnumerable<string> Arguments => ["--crash-on-huge-length"];
}
