using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using SimCluster.Target;
using SimCluster.Tests.Support;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

/// <summary>The connector and <see cref="SimulatedConnection"/> against the real reference target on a free loopback port.</summary>
public sealed class WebSocketConnectorTests : IAsyncLifetime
{
    private ReferenceTarget _target = null!;

    public async Task InitializeAsync() => _target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });

    public async Task DisposeAsync() => await _target.DisposeAsync();

    private ConnectOptions Options(Uri? target = null) => new() { Target = target ?? _target.WebSocketUri };

    private sealed class Listener : IConnectionListener
    {
        public ConcurrentQueue<string> Texts { get; } = new();

        public TaskCompletionSource<ConnectionClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int ClosedCalls;

        public void OnText(string text) => Texts.Enqueue(text);

        public void OnClosed(ConnectionClosed closed)
        {
            Interlocked.Increment(ref ClosedCalls);
            Closed.TrySetResult(closed);
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket ws)
    {
        using var cts = new CancellationTokenSource(Eventually.Patience);
        var buffer = new byte[4096];
        var result = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    private static Task SendTextAsync(WebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private Task<TargetStatsSnapshot> StatsWhen(Func<TargetStatsSnapshot, bool> accept, string what) =>
        Eventually.ValueAsync(_target.GetStats, accept, what);

    [Fact]
    public async Task Connects_over_a_fault_stream_and_echoes()
    {
        var opened = await WebSocketConnector.ConnectAsync(Options(), CancellationToken.None);
        using var ws = opened.WebSocket;

        await SendTextAsync(ws, "over the fault stream");
        Assert.Equal("over the fault stream", await ReceiveTextAsync(ws));

        Assert.Equal(WebSocketState.Open, ws.State);
        Assert.True(opened.Stream.BytesWritten > 0 && opened.Stream.BytesRead > 0);
        Assert.NotNull(opened.LocalEndPoint);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await StatsWhen(s => s.Upgrades == 1 && s.OpenConnections == 0, "the target to see one connection come and go");
    }

    [Fact]
    public async Task A_simulated_connection_round_trips_messages_to_its_listener()
    {
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options(), listener);

        Assert.True(connection.IsOpen);
        for (var i = 0; i < 5; i++) Assert.True(connection.Send($"message {i}"));
        await Eventually.TrueAsync(() => listener.Texts.Count == 5, "five echoes");
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"message {i}"), listener.Texts);

        await connection.CloseAsync(1000, "bye");

        Assert.False(connection.IsOpen);
        Assert.False(connection.Send("after close"));
        var stats = await StatsWhen(s => s.OpenConnections == 0 && s.Closes.ClientInitiated.GetValueOrDefault("1000") == 1, "a clean client close");
        Assert.Equal(5, stats.MessagesIn);
        await Task.Delay(200);
        Assert.Equal(0, listener.ClosedCalls); // our own close is not reported back as a loss
    }

    [Fact]
    public async Task A_server_close_reaches_the_listener_once_with_its_code()
    {
        var listener = new Listener();
        using var connection = await SimulatedConnection.OpenAsync(Options(), listener);
        await StatsWhen(s => s.OpenConnections == 1, "the connection to be open");

        await _target.StopAsync(); // closes every connection with 1001

        var closed = await Eventually.Within(listener.Closed.Task, "OnClosed");
        Assert.Equal(CloseInitiator.Server, closed.Initiator);
        Assert.Equal(1001, closed.Code);
        await Task.Delay(200);
        Assert.Equal(1, listener.ClosedCalls);
    }

    [Fact]
    public async Task A_reset_reaches_the_server_as_an_abort()
    {
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options(), listener);
        await StatsWhen(s => s.OpenConnections == 1, "the connection to be open");

        connection.Reset();

        var stats = await StatsWhen(s => s.OpenConnections == 0, "the server to drop the reset connection");
        Assert.Equal(1, stats.Closes.Aborted);
        Assert.Empty(stats.Closes.ClientInitiated);
        Assert.Equal(0, listener.ClosedCalls);
    }

    [Fact]
    public async Task A_blackholed_connection_stays_open_on_the_server_until_released()
    {
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options(), listener);
        await StatsWhen(s => s.OpenConnections == 1, "the connection to be open");

        connection.Blackhole();
        Assert.False(connection.Send("nobody hears this"));
        await Task.Delay(500);
        var during = _target.GetStats();
        Assert.Equal(1, during.OpenConnections); // the server still believes in it
        Assert.Equal(0, during.MessagesIn);

        connection.Release();
        await StatsWhen(s => s.OpenConnections == 0, "the server to notice the released connection");
        Assert.Equal(0, listener.ClosedCalls);
    }

    [Fact]
    public async Task Link_latency_applies_to_the_round_trip()
    {
        var rtt = TimeSpan.FromMilliseconds(200);
        var options = Options() with { Link = new LinkProfile("custom", rtt, TimeSpan.Zero, 0, 0, 0) };
        var opened = await WebSocketConnector.ConnectAsync(options, CancellationToken.None);
        using var ws = opened.WebSocket;

        var clock = Stopwatch.StartNew();
        await SendTextAsync(ws, "slow");
        Assert.Equal("slow", await ReceiveTextAsync(ws).WaitAsync(TimeSpan.FromSeconds(60))); // bounded: a lost echo fails, a slow one does not
        var elapsed = clock.Elapsed;

        // A lower bound only: a busy machine can make the echo later, never sooner than the link's round trip.
        Assert.True(elapsed >= rtt - TimeSpan.FromMilliseconds(4), $"echo came back in {elapsed.TotalMilliseconds} ms on a {rtt.TotalMilliseconds} ms link");
    }

    [Fact]
    public async Task A_refused_connection_is_classified_as_refused()
    {
        var nowhere = new Uri("ws://127.0.0.1:1/ws");
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() => WebSocketConnector.ConnectAsync(Options(nowhere), CancellationToken.None));
        Assert.Equal(ConnectFailure.Refused, error.Failure);
        Assert.Equal("refused", error.Label);

        var viaConnection = await Assert.ThrowsAsync<ConnectFailedException>(() => SimulatedConnection.OpenAsync(Options(nowhere), new Listener()));
        Assert.Equal(ConnectFailure.Refused, viaConnection.Failure);
    }

    [Fact]
    public async Task A_path_the_server_does_not_upgrade_is_an_http_status_failure()
    {
        var wrongPath = new UriBuilder(_target.WebSocketUri) { Path = "/not-here" }.Uri;
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() => WebSocketConnector.ConnectAsync(Options(wrongPath), CancellationToken.None));
        Assert.Equal(ConnectFailure.HttpStatus, error.Failure);
        Assert.Equal(404, error.HttpStatus);
        Assert.Equal("http-404", error.Label);
    }

    [Fact]
    public async Task A_server_that_never_answers_the_upgrade_times_out()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var accepted = silent.AcceptSocketAsync(); // accepts, reads nothing, answers nothing

        var options = Options(new Uri($"ws://127.0.0.1:{port}/ws")) with { ConnectTimeout = TimeSpan.FromMilliseconds(500) };
        var error = await Assert.ThrowsAsync<ConnectFailedException>(() => WebSocketConnector.ConnectAsync(options, CancellationToken.None));

        Assert.Equal(ConnectFailure.Timeout, error.Failure);
        (await accepted).Dispose();
    }

    [Fact]
    public async Task A_chosen_source_address_is_what_the_server_sees()
    {
        var local = IPAddress.Parse("127.1.2.3");
        var listener = new Listener();
        var connection = await SimulatedConnection.OpenAsync(Options() with { LocalAddress = local }, listener);

        Assert.Equal(local, connection.LocalEndPoint?.Address);
        var stats = await StatsWhen(s => s.Upgrades == 1, "the upgrade");
        Assert.Contains("127.1.2.3", stats.SourceAddresses.Keys);
        Assert.Equal(1, stats.SourceAddresses["127.1.2.3"]);

        await connection.CloseAsync();
    }
}
