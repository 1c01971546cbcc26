using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SimCluster.Grains.Auth;
using SimCluster.Target;
using SimCluster.Tests.Auth;
using SimCluster.Tests.Support;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Target.SignalR;

/// <summary>
/// The reference hub against ASP.NET Core's own .NET client (Microsoft.AspNetCore.SignalR.Client): what the client
/// did and what the hub's counters at /stats say must agree exactly.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SignalRHubTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static HubConnection Client(ReferenceTarget target, Action<IHubConnectionBuilder>? configure = null, Func<Task<string?>>? token = null, bool stateful = false, TimeSpan? keepAlive = null)
    {
        var builder = new HubConnectionBuilder().WithUrl(target.HubUri, o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            if (token is not null) o.AccessTokenProvider = token;
            o.UseStatefulReconnect = stateful;
        });
        configure?.Invoke(builder);
        var connection = builder.Build();
        // The hub's client timeout is short; the client pings well within it.
        connection.KeepAliveInterval = keepAlive ?? TimeSpan.FromMilliseconds(500);
        connection.ServerTimeout = TimeSpan.FromSeconds(10);
        return connection;
    }

    private static async Task<TargetSignalRStats> WaitForHubAsync(ReferenceTarget target, Func<TargetSignalRStats, bool> condition)
    {
        var snapshot = await WaitForStatsAsync(target, s => condition(s.SignalR));
        return snapshot.SignalR;
    }

    [Fact]
    public async Task Echo_returns_its_argument_and_every_invocation_is_counted_once()
    {
        await using var target = await StartAsync(new TargetOptions { Port = 0 });
        await using var client = Client(target);
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);

        const int n = 25;
        for (var i = 0; i < n; i++)
        {
            var reply = await client.InvokeAsync<JsonElement>("Echo", new { seq = i, body = "x" }, cts.Token);
            Assert.Equal(i, reply.GetProperty("seq").GetInt32());
        }

        Assert.Equal("plain", await client.InvokeAsync<string>("Echo", "plain", cts.Token));
        await client.StopAsync(cts.Token);

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        Assert.Equal(1, hub.Connections);
        Assert.Equal(n + 1, hub.Invocations);
        Assert.Equal(n + 1, hub.InvocationsReceived);
        Assert.Equal(n + 1, hub.Completions);
        Assert.Equal(0, hub.CompletionErrors);
        Assert.Equal(1, hub.Disconnects.OrZero(SignalRStats.CauseClosed));
        Assert.Equal(0, hub.Evictions);
    }

    [Fact]
    public async Task An_unknown_method_gets_an_error_completion_and_the_connection_stays()
    {
        await using var target = await StartAsync(new TargetOptions { Port = 0 });
        await using var client = Client(target);
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);

        var error = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<object>("NoSuchMethod", 1, cts.Token));
        Assert.Contains("NoSuchMethod", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, await client.InvokeAsync<int>("Echo", 7, cts.Token));
        await client.StopAsync(cts.Token);

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        Assert.Equal(2, hub.InvocationsReceived);
        Assert.Equal(1, hub.Invocations); // the unknown method never reached the hub
        Assert.Equal(2, hub.Completions);
        Assert.Equal(1, hub.CompletionErrors);
        Assert.Equal(0, hub.MethodErrors);
    }

    [Fact]
    public async Task Pushes_arrive_in_order_without_gaps_and_are_counted()
    {
        await using var target = await StartAsync(new TargetOptions { Port = 0, SignalR = new SignalRTargetOptions { PushInterval = TimeSpan.FromMilliseconds(50) } });
        await using var client = Client(target);
        var seqs = new List<long>();
        client.On<JsonElement>(ReferenceHub.PushTarget, push =>
        {
            lock (seqs) seqs.Add(push.GetProperty("seq").GetInt64());
            Assert.True(push.GetProperty("ts").GetInt64() > 0);
        });
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);
        await Eventually.TrueAsync(() => { lock (seqs) return seqs.Count >= 20; }, "20 pushes");
        await client.StopAsync(cts.Token);

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        long[] received;
        lock (seqs) received = [.. seqs];
        Assert.Equal(Enumerable.Range(1, received.Length).Select(i => (long)i), received);
        Assert.Equal(0, hub.PushesNotSent);
        // Sent but not taken: at most the pushes of the ticks between the client's last receipt and its close.
        Assert.InRange(hub.PushesSent, received.Length, received.Length + 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_stops_pinging_is_evicted_by_the_client_timeout_and_a_healthy_one_is_not(bool stateful)
    {
        await using var target = await StartAsync(new TargetOptions
        {
            Port = 0,
            // The healthy client pings 20 times per client timeout: only a stall of 4 s on a loaded machine would evict it.
            SignalR = new SignalRTargetOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(250), ClientTimeout = TimeSpan.FromSeconds(4) },
        });
        await using var healthy = Client(target, keepAlive: TimeSpan.FromMilliseconds(200));
        // The zombie: its socket stays open, it simply never sends a ping.
        await using var zombie = Client(target, keepAlive: TimeSpan.FromHours(1), stateful: stateful);
        zombie.ServerTimeout = TimeSpan.FromHours(2);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        zombie.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        using var cts = new CancellationTokenSource(Bound);
        await healthy.StartAsync(cts.Token);
        await zombie.StartAsync(cts.Token);

        await Eventually.Within(closed.Task, "the zombie's eviction");
        Assert.Equal(HubConnectionState.Connected, healthy.State);
        Assert.Equal(3, await healthy.InvokeAsync<int>("Echo", 3, cts.Token));

        var hub = await WaitForHubAsync(target, h => h.Evictions == 1);
        Assert.Equal(1, hub.Evictions);
        Assert.Equal(1, hub.Disconnects.OrZero(SignalRStats.CauseClientTimeout));
        Assert.Equal(1, hub.Open);
        await healthy.StopAsync(cts.Token);
        hub = await WaitForHubAsync(target, h => h.Open == 0);
        Assert.Equal(2, hub.Connections);
        Assert.Equal(1, hub.Evictions);
        Assert.Equal(1, hub.Disconnects.OrZero(SignalRStats.CauseClosed));
    }

    [Fact]
    public async Task A_dropped_socket_comes_back_by_stateful_reconnect_on_the_same_hub_connection()
    {
        await using var target = await StartAsync(new TargetOptions { Port = 0 });
        var sockets = new List<System.Net.WebSockets.ClientWebSocket>();
        await using var client = Client(target, stateful: true, configure: b => b.WithUrl(target.HubUri, o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.UseStatefulReconnect = true;
            o.WebSocketFactory = async (context, ct) =>
            {
                var ws = new System.Net.WebSockets.ClientWebSocket();
                await ws.ConnectAsync(context.Uri, ct);
                lock (sockets) sockets.Add(ws);
                return ws;
            };
        }));
        var reconnecting = 0;
        client.Reconnecting += _ => { Interlocked.Increment(ref reconnecting); return Task.CompletedTask; };
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);
        Assert.Equal(1, await client.InvokeAsync<int>("Echo", 1, cts.Token));

        lock (sockets) sockets[^1].Abort();
        await Eventually.TrueAsync(() => target.GetStats().SignalR.StatefulReconnects == 1, "the stateful reconnect");
        Assert.Equal(2, await client.InvokeAsync<int>("Echo", 2, cts.Token));
        await client.StopAsync(cts.Token);

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        lock (sockets) Assert.Equal(2, sockets.Count);
        Assert.Equal(0, reconnecting); // transparent to the application: no new hub connection
        Assert.Equal(1, hub.Connections);
        Assert.Equal(1, hub.StatefulReconnects);
        Assert.Equal(2, hub.Invocations);
        Assert.Equal(2, hub.Completions);
        Assert.Equal(1, hub.Disconnects.Values.Sum());
    }

    [Fact]
    public async Task A_stateful_buffer_too_small_holds_pushes_and_each_one_the_hub_could_not_send_is_a_gap_the_client_sees()
    {
        await using var target = await StartAsync(new TargetOptions
        {
            Port = 0,
            SignalR = new SignalRTargetOptions { PushInterval = TimeSpan.FromMilliseconds(20), StatefulReconnectBufferSize = 1 },
        });
        await using var client = Client(target, stateful: true);
        var seqs = new List<long>();
        client.On<JsonElement>(ReferenceHub.PushTarget, push => { lock (seqs) seqs.Add(push.GetProperty("seq").GetInt64()); });
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);
        // The client acks once a second; until then a one-byte buffer holds every further send.
        await Eventually.TrueAsync(() => { lock (seqs) return seqs.Count >= 3; }, "three pushes through a one-byte buffer");
        await client.StopAsync(cts.Token);

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        long[] received;
        lock (seqs) received = [.. seqs];
        Assert.True(received.SequenceEqual(received.Order()), "pushes in order");
        var gaps = received[^1] - received.Length;
        Assert.True(gaps > 0, "a one-byte buffer must hold some pushes back");
        // Every gap below the last push received is a push the hub counted as not sent. More follow it: the hub keeps
        // skipping until it sees the disconnect, which its blocked send delays by up to the transport's CloseTimeout.
        Assert.True(hub.PushesNotSent >= gaps, $"{hub.PushesNotSent} pushes not sent, {gaps} gaps");
        Assert.True(hub.PushesSent >= received.Length, $"{hub.PushesSent} pushes sent, {received.Length} received");
    }

    private readonly string _secret = TestKeys.Secret();

    private Task<ReferenceTarget> StartWithAuthAsync(bool enforce = true) =>
        StartAsync(new TargetOptions { Port = 0, AuthAlgorithm = "HS256", AuthKey = _secret, AuthEnforceExpiry = enforce });

    private Task<IssuedToken> Mint(TimeSpan lifetime, double badSignature = 0) =>
        TestKeys.Mint(TestKeys.Plan(_secret, lifetime: lifetime) with { BadSignature = badSignature });

    [Fact]
    public async Task A_valid_token_is_accepted_in_the_access_token_query_and_a_bad_or_missing_one_gets_401()
    {
        await using var target = await StartWithAuthAsync();
        var good = await Mint(TimeSpan.FromMinutes(5));
        var bad = await Mint(TimeSpan.FromMinutes(5), badSignature: 1);
        using var cts = new CancellationTokenSource(Bound);

        // SignalR's query convention, as browsers send it: negotiate and the WebSocket both carry ?access_token=.
        await using (var viaQuery = Client(target, configure: b => b.WithUrl(new Uri(target.HubUri + "?access_token=" + Uri.EscapeDataString(good.Value)), o => o.Transports = HttpTransportType.WebSockets)))
        {
            await viaQuery.StartAsync(cts.Token);
            Assert.Equal(5, await viaQuery.InvokeAsync<int>("Echo", 5, cts.Token));
            await viaQuery.StopAsync(cts.Token);
        }

        await using (var refused = Client(target, token: () => Task.FromResult<string?>(bad.Value)))
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync(cts.Token));
            Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        }

        await using (var anonymous = Client(target))
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync(cts.Token));
            Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        }

        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        Assert.Equal(1, hub.Connections);
        Assert.Equal(2, hub.TokensAccepted); // negotiate, then the WebSocket request
        Assert.Equal(1, hub.TokensRefused);
        Assert.Equal(2, hub.Unauthorized);
        Assert.Equal(0, target.GetStats().Auth.RejectedHandshakes); // the /ws endpoint's own books are untouched
    }

    [Fact]
    public async Task The_hub_closes_a_connection_when_its_token_expires_and_counts_it()
    {
        await using var target = await StartWithAuthAsync();
        var token = await Mint(TimeSpan.FromSeconds(2));
        await using var client = Client(target, token: () => Task.FromResult<string?>(token.Value));
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);
        Assert.Equal(1, await client.InvokeAsync<int>("Echo", 1, cts.Token));

        await Eventually.Within(closed.Task, "the close at expiry");
        var hub = await WaitForHubAsync(target, h => h.Open == 0);
        Assert.Equal(1, hub.ExpiredCloses);
        Assert.Equal(1, hub.Disconnects.OrZero(SignalRStats.CauseAuthExpired));
        Assert.True(hub.CloseOnAuthenticationExpiration);
    }

    [Fact]
    public async Task Stats_and_metrics_over_http_carry_the_hub_counters_and_the_listening_line_names_the_hub()
    {
        await using var target = await StartAsync(new TargetOptions { Port = 0 });
        await using var client = Client(target);
        using var cts = new CancellationTokenSource(Bound);
        await client.StartAsync(cts.Token);
        for (var i = 0; i < 3; i++) await client.InvokeAsync<int>("Echo", i, cts.Token);
        await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<int>("Missing", cts.Token));
        await client.StopAsync(cts.Token);
        await WaitForHubAsync(target, h => h.Open == 0);

        using var doc = JsonDocument.Parse(await GetStringAsync(target, "/stats"));
        var hub = doc.RootElement.GetProperty("signalr");
        Assert.Equal("/hub", hub.GetProperty("path").GetString());
        Assert.Equal(1, hub.GetProperty("connections").GetInt64());
        Assert.Equal(4, hub.GetProperty("invocationsReceived").GetInt64());
        Assert.Equal(3, hub.GetProperty("invocations").GetInt64());
        Assert.Equal(4, hub.GetProperty("completions").GetInt64());
        Assert.Equal(1, hub.GetProperty("completionErrors").GetInt64());
        Assert.Equal(1, hub.GetProperty("disconnects").GetProperty("closed").GetInt64());
        Assert.Equal(0, hub.GetProperty("evictions").GetInt64());
        Assert.Equal(4, TargetStatsSnapshot.FromJson(doc.RootElement.GetRawText()).SignalR.Completions);

        var metrics = await GetStringAsync(target, "/metrics");
        Assert.Contains("simcluster_target_signalr_connections_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("simcluster_target_signalr_completion_errors_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("simcluster_target_signalr_disconnects_total{cause=\"closed\"} 1\n", metrics, StringComparison.Ordinal);

        // The line `simcluster target` prints is how an embedded run learns both addresses.
        using var stop = new CancellationTokenSource();
        var stdout = new StringWriter();
        var run = SimCluster.Cli.Commands.TargetCommand.ExecuteAsync(new TargetOptions { Port = 0 }, null, stdout, TextWriter.Null, stop.Token);
        await Eventually.TrueAsync(() => stdout.ToString().Contains("listening on", StringComparison.Ordinal), "the listening line");
        stop.Cancel();
        await Eventually.Within(run, "the target's stop");
        Assert.True(SimCluster.Cli.Runs.EmbeddedTarget.TryParseListening(stdout.ToString().Trim(), out var ws, out var hubUri));
        Assert.Equal("/ws", ws.AbsolutePath);
        Assert.Equal("http", hubUri.Scheme);
        Assert.Equal("/hub", hubUri.AbsolutePath);
        Assert.Equal(ws.Port, hubUri.Port);
    }
}
