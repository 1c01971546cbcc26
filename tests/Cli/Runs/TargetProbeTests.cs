using System.Net;
using System.Net.Sockets;
using System.Text;
using SimCluster.Cli.Runs;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>The /stats probe against a loopback server that lets some reads time out, as a busy machine does.</summary>
public sealed class TargetProbeTests
{
    private const string Stats = """{"openConnections":0,"process":{"rssBytes":1048576,"managedHeapBytes":2048}}""";

    [Fact]
    public async Task A_stats_read_that_times_out_is_asked_again_and_the_stats_are_kept()
    {
        await using var server = new StallingStatsServer(stalls: 1);
        using var probe = new TargetProbe(new Uri($"ws://127.0.0.1:{server.Port}/ws"));

        var stats = await probe.ReadAsync(collectGarbage: false, CancellationToken.None);

        Assert.NotNull(stats);
        Assert.Equal(0, TargetProbe.OpenConnections(stats));
        Assert.Equal(2, server.Requests);
        Assert.Empty(probe.Problems);
    }

    [Fact]
    public async Task A_stats_endpoint_that_never_answers_is_given_up_with_a_note()
    {
        await using var server = new StallingStatsServer(stalls: int.MaxValue);
        using var probe = new TargetProbe(new Uri($"ws://127.0.0.1:{server.Port}/ws"));

        var stats = await probe.ReadAsync(collectGarbage: false, CancellationToken.None);

        Assert.Null(stats);
        Assert.True(server.Requests >= 2, $"{server.Requests} requests");
        var note = Assert.Single(probe.Problems);
        Assert.Contains("/stats did not answer within 10 s (timed out)", note);
    }

    /// <summary>Answers /stats, except that the first <c>stalls</c> requests get no answer at all.</summary>
    private sealed class StallingStatsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _held = [];
        private readonly Task _accepting;
        private readonly int _stalls;
        private int _requests;

        public StallingStatsServer(int stalls)
        {
            _stalls = stalls;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Requests => Volatile.Read(ref _requests);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException) { }
        }

        private async Task ServeAsync(TcpClient client)
        {
            var buffer = new byte[4096];
            var stream = client.GetStream();
            try
            {
                if (await stream.ReadAsync(buffer, _stop.Token) == 0) return;
                if (Interlocked.Increment(ref _requests) <= _stalls)
                {
                    lock (_held) _held.Add(client); // read, never answered: the probe's own timeout ends it
                    return;
                }
                var response = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Stats.Length}\r\nConnection: close\r\n\r\n{Stats}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                client.Dispose();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { client.Dispose(); }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
            lock (_held) _held.ForEach(c => c.Dispose());
        }
    }
}
