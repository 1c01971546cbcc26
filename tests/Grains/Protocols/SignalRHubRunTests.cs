using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SimCluster.Abstractions.Metrics;
using SimCluster.Target;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// protocol: signalr through the real CLI against ASP.NET Core's own SignalR: the reference hub (its counters are
/// the framework's own events: OnConnectedAsync, OnDisconnectedAsync with the client-timeout exception, the stateful
/// reconnect feature, the messages its protocol parsed and wrote) and hubs misconfigured as real ones are. What the
/// report says must equal what the hub counted; nothing here is a timing.
/// </summary>
[Trait("Category", "Integration")]
[Collection(LightRunsCollection.Name)]
public sealed class SignalRHubRunTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("signalr-hub");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static string Ws(Uri hub) => new UriBuilder(hub) { Scheme = "ws" }.Uri.ToString();

    private async Task<(JsonObject Report, ProcessResult Run)> RunAsync(string name, string scenario, params string[] extra)
    {
        var file = Path.Combine(_temp, $"{name}.yaml");
        File.WriteAllText(file, $"name: {name}\nprotocol: signalr\n" + scenario);
        var outDir = Path.Combine(_temp, $"report-{name}");
        var run = await Simcluster.RunAsync(["run", file, "--no-live", "--out", outDir, .. extra]);
        var reportPath = Path.Combine(outDir, "report.json");
        Assert.True(File.Exists(reportPath), run.ToString());
        return (JsonNode.Parse(File.ReadAllText(reportPath))!.AsObject(), run);
    }

    private static long Count(JsonObject report, string metric) => Contract.Count(report, metric);

    private static long Group(JsonObject report, string group, string metric) => (long)report["groups"]![group]!["metrics"]![metric]!["value"]!.GetValue<double>();

    private static long Cause(JsonObject report, string cause) => report["disconnectCauses"]![cause]?.GetValue<long>() ?? 0;

    private static TargetSignalRStats EmbeddedHub(JsonObject report) => TargetStatsSnapshot.FromJson(report["targetStats"]!["after"]!.ToJsonString()).SignalR;

    private static async Task<TargetSignalRStats> SettledAsync(ReferenceTarget target) => (await WaitForStatsAsync(target, s => s.SignalR.Open == 0)).SignalR;

    private static string Books(JsonObject report, TargetSignalRStats hub) =>
        string.Join(' ', new[] { "connects", "connect_failures", "disconnects", "messages_sent", "messages_received", "messages_lost", "messages_interrupted", "messages_failed", "messages_unresolved", "messages_duplicated", "pushes_received", "pushes_lost", "pushes_duplicated", "switches", MetricNames.SignalrResumesFailed }
            .Where(m => report["metrics"]![m] is not null).Select(m => $"{m}={Count(report, m)}"))
        + $" | hub connections={hub.Connections} open={hub.Open} invocationsReceived={hub.InvocationsReceived} invocations={hub.Invocations} completions={hub.Completions} "
        + $"evictions={hub.Evictions} statefulReconnects={hub.StatefulReconnects} pushesSent={hub.PushesSent} pushesNotSent={hub.PushesNotSent} pushGaps={hub.PushGaps} expiredCloses={hub.ExpiredCloses} "
        + $"disconnects={string.Join(',', hub.Disconnects.Select(d => d.Key + ":" + d.Value))}";

    private static void AssertConserved(JsonObject report)
    {
        Assert.Equal(Count(report, "messages_sent"), Count(report, "messages_received") + Count(report, "messages_failed") + Count(report, "messages_lost")
            + Count(report, "messages_interrupted") + Count(report, "messages_unresolved"));
    }

    [Fact]
    public async Task Flapping_connects_equal_the_hubs_OnConnectedAsync_and_every_invocation_sent_reached_the_hub()
    {
        // Without stateful reconnect every open is a new hub connection. Drops are clean closes: what a client wrote
        // before its close frame reaches the hub (an RST may discard what the hub had not read yet).
        await using var target = await StartAsync(new TargetOptions { SignalR = new SignalRTargetOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(500), ClientTimeout = TimeSpan.FromSeconds(10) } });
        var (report, run) = await RunAsync("signalr-flapping", $$"""
            target: {{Ws(target.HubUri)}}
            clients: 16
            duration: 8s
            rampUp: 1s
            seed: 31
            messages: { interval: 200ms, size: 64, lossTimeout: 3s }
            reconnect: { policy: exponential, base: 50ms, max: 500ms, jitter: full }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 8s, statefulReconnect: false }
            population:
              - { name: healthy, share: 50% }
              - name: flappers
                share: 50%
                behavior: flapping
                flapping: { up: 1s..2s, down: 100ms..300ms, drop: [close], cycles: 3 }
            """);
        var hub = await SettledAsync(target);
        var books = Books(report, hub) + "\n" + run;
        Assert.True(Count(report, "forced_drops") >= 8, books);
        Assert.Equal(hub.Connections, Count(report, "connects"));
        Assert.Equal(0, Count(report, "connect_failures"));
        // Every invocation counted sent reached the hub, but for those whose connection ended under them.
        var open = Count(report, "messages_lost") + Count(report, "messages_interrupted") + Count(report, "messages_unresolved");
        Assert.True(hub.InvocationsReceived <= Count(report, "messages_sent") && Count(report, "messages_sent") - hub.InvocationsReceived <= open, books);
        Assert.Equal(hub.Invocations, hub.InvocationsReceived); // no unknown method, no resend
        Assert.Equal(hub.Invocations, hub.Completions);
        Assert.Equal(hub.Connections, hub.Disconnects.Values.Sum());
        Assert.Equal(0, hub.Evictions);
        Assert.Equal(0, Count(report, "messages_duplicated"));
        Assert.Equal(0, Count(report, "messages_failed"));
        Assert.Equal(0, Group(report, "healthy", "messages_lost"));
        Assert.Equal(0, Group(report, "healthy", "messages_interrupted"));
        AssertConserved(report);
    }

    [Fact]
    public async Task Every_app_dead_zombie_is_evicted_by_the_hubs_client_timeout_and_no_healthy_client_is()
    {
        await using var target = await StartAsync(new TargetOptions { SignalR = new SignalRTargetOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(300), ClientTimeout = TimeSpan.FromMilliseconds(1500) } });
        var (report, run) = await RunAsync("signalr-zombies", $$"""
            target: {{Ws(target.HubUri)}}
            clients: 16
            duration: 12s
            rampUp: 1s
            seed: 32
            messages: { interval: 500ms, size: 64, lossTimeout: 3s }
            signalr: { method: Echo, keepAliveInterval: 300ms, serverTimeout: 8s }
            population:
              - { name: healthy, share: 50% }
              - name: app-dead
                share: 50%
                behavior: zombie
                zombie: { kind: app-dead, after: 2s, observeFor: 8s }
            """);
        var hub = await SettledAsync(target);
        var books = Books(report, hub) + "\n" + run;
        var zombies = Group(report, "app-dead", "zombies");
        Assert.True(zombies == 8, books);
        Assert.Equal(zombies, Group(report, "app-dead", "zombies_detected"));
        Assert.Equal(zombies, hub.Evictions);
        Assert.Equal(zombies, hub.Disconnects.OrZero(SignalRStats.CauseClientTimeout));
        // Each eviction was timed once (the figures themselves belong to bench/, not to a test).
        Assert.Equal(zombies, (long)report["groups"]!["app-dead"]!["metrics"]!["zombie_detect_time"]!["count"]!.GetValue<double>());
        Assert.Equal(0, Group(report, "healthy", "false_disconnects"));
        Assert.Equal(0, Group(report, "healthy", "disconnects"));
        Assert.Equal(0, Group(report, "healthy", "messages_lost"));
        Assert.Equal(hub.Connections, Count(report, "connects"));
    }

    [Fact]
    public async Task Token_refresh_by_reconnect_keeps_every_session_and_none_is_closed_at_expiry()
    {
        var (report, run) = await RunAsync("signalr-refresh", """
            target: embedded
            clients: 10
            duration: 10s
            rampUp: 1s
            seed: 34
            messages: { interval: 500ms, size: 64, lossTimeout: 3s }
            reconnect: { policy: exponential, base: 50ms, max: 500ms, jitter: full }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 6s }
            auth:
              jwt: { generateKey: true, algorithm: HS256, lifetime: 4s }
              send: protocol
              refresh: { mode: reconnect, before: 2s }
            embeddedTarget:
              authClockSkew: 0s
              signalr: { keepAliveInterval: 500ms, clientTimeout: 5s }
            """);
        var hub = EmbeddedHub(report);
        var books = Books(report, hub) + $" token_refreshes={Count(report, "token_refreshes")} expired_closes={Count(report, "expired_closes")}\n" + run;
        Assert.True(Count(report, "token_refreshes") >= 10, books);
        Assert.Equal(0, Count(report, "expired_closes"));
        Assert.Equal(0, hub.ExpiredCloses);
        Assert.Equal(0, hub.TokensRefused);
        Assert.Equal(0, hub.Evictions);
        Assert.Equal(0, Count(report, "disconnects")); // a refresh closes on purpose: no session was lost
        Assert.Equal(0, Count(report, "auth_rejections"));
        Assert.Equal(0, Count(report, "connect_failures"));
        Assert.Equal(hub.Connections, Count(report, "connects")); // each refresh is a new hub connection, with the new token
        Assert.Equal(0, Count(report, "messages_lost"));
        Assert.Equal(hub.Invocations, Count(report, "messages_sent"));
        AssertConserved(report);
    }

    [Fact]
    public async Task Without_refresh_every_connection_is_closed_by_the_hub_at_expiry_and_each_close_is_counted()
    {
        // All connect at once, and the run ends 2 s after their tokens expire, before the next tokens can: no expiry
        // races the end of the run, where the hub (which calls any close after exp an expiry) and the client disagree.
        var (report, run) = await RunAsync("signalr-expiry", """
            target: embedded
            clients: 10
            duration: 5s
            rampUp: 0s
            seed: 35
            messages: { interval: 500ms, size: 64, lossTimeout: 3s }
            reconnect: { policy: exponential, base: 50ms, max: 500ms, jitter: full }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 6s }
            auth:
              jwt: { generateKey: true, algorithm: HS256, lifetime: 3s }
              send: protocol
              refresh: { mode: none }
            embeddedTarget:
              authClockSkew: 0s
              signalr: { keepAliveInterval: 500ms, clientTimeout: 5s }
            """);
        var hub = EmbeddedHub(report);
        var books = Books(report, hub) + $" expired_closes={Count(report, "expired_closes")} forbidden={Count(report, MetricNames.SignalrReconnectsForbidden)}\n" + run;
        Assert.True(hub.ExpiredCloses >= 10, books);
        Assert.Equal(hub.ExpiredCloses, Count(report, "expired_closes"));
        Assert.Equal(0, hub.Evictions);
        Assert.Equal(0, Count(report, "false_disconnects"));
        Assert.Equal(hub.Connections, Count(report, "connects"));
    }

    [Fact]
    public async Task A_real_dotnet_client_beside_the_tools_clients_is_counted_apart_by_the_hub()
    {
        await using var target = await StartAsync(new TargetOptions { SignalR = new SignalRTargetOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(500) } });
        await using var dotnet = new HubConnectionBuilder().WithUrl(target.HubUri, o => o.Transports = HttpTransportType.WebSockets).Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await dotnet.StartAsync(cts.Token);
        var run = RunAsync("signalr-beside-dotnet", $$"""
            target: {{Ws(target.HubUri)}}
            clients: 8
            duration: 6s
            rampUp: 1s
            seed: 36
            messages: { interval: 200ms, size: 64, lossTimeout: 3s }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 8s }
            """);
        // The .NET client keeps invoking while the tool's clients run, on the same hub.
        var invoked = 0;
        while (!run.IsCompleted || invoked < 20)
        {
            Assert.Equal(invoked, await dotnet.InvokeAsync<int>("Echo", invoked, cts.Token));
            invoked++;
            await Task.Delay(50, cts.Token);
        }
        var (report, result) = await run;
        await dotnet.StopAsync(cts.Token);
        var hub = await SettledAsync(target);
        var books = Books(report, hub) + $" byAgent={string.Join(',', hub.InvocationsByAgent.Select(a => a.Key + ":" + a.Value))} dotnet={invoked}\n" + result;
        Assert.True(hub.InvocationsByAgent.OrZero("Microsoft SignalR") == invoked, books);
        Assert.Equal(Count(report, "messages_sent"), hub.InvocationsByAgent.OrZero("none"));
        Assert.Equal(invoked + Count(report, "messages_sent"), hub.Invocations);
        Assert.Equal(Count(report, "connects") + 1, hub.Connections);
        Assert.Equal(Count(report, "messages_sent"), Count(report, "messages_received"));
    }

    [Fact]
    public async Task An_unknown_hub_method_fails_every_invocation_with_the_hubs_error_completion()
    {
        var (report, run) = await RunAsync("signalr-unknown-method", """
            target: embedded
            clients: 6
            duration: 4s
            seed: 37
            messages: { interval: 250ms, size: 64, lossTimeout: 3s }
            signalr: { method: NoSuchMethod, keepAliveInterval: 1s, serverTimeout: 8s }
            """);
        var hub = EmbeddedHub(report);
        var books = Books(report, hub) + "\n" + run;
        var sent = Count(report, "messages_sent");
        Assert.True(sent > 0, books);
        Assert.Equal(sent, Count(report, "messages_failed"));
        Assert.Equal(sent, hub.CompletionErrors);
        Assert.Equal(sent, hub.InvocationsReceived);
        Assert.Equal(0, hub.Invocations);
        Assert.Equal(0, Count(report, "messages_lost"));
        Assert.Equal(0, Count(report, "disconnects")); // the hub keeps the connection
    }

    [Fact]
    public async Task A_hub_that_closes_with_an_error_is_a_classified_disconnect_and_the_client_stops_as_the_dotnet_client_does()
    {
        await using var hub = await BrokenHub.StartAsync();
        var (report, run) = await RunAsync("signalr-close-error", $$"""
            target: {{Ws(hub.HubUri)}}
            clients: 4
            duration: 4s
            seed: 39
            messages: { interval: 250ms, size: 64, lossTimeout: 1s }
            reconnect: { policy: fixed, base: 100ms, jitter: none }
            signalr: { method: Echo, keepAliveInterval: 1s, serverTimeout: 4s, statefulReconnect: false }
            """);
        var books = $"connected={hub.Connected} connects={Count(report, "connects")} disconnects={Count(report, "disconnects")} causes={report["disconnectCauses"]!.ToJsonString()}\n{run}";
        // ASP.NET Core closes with "Connection closed with an error." and allowReconnect false: each client is
        // closed once and, as the .NET client's HubConnection, makes no further attempt.
        Assert.True(hub.Connected == 4, books);
        Assert.Equal(4, Count(report, "connects"));
        Assert.Equal(4, Cause(report, "server:hub-close-error"));
        Assert.Equal(4, Count(report, MetricNames.SignalrReconnectsForbidden));
        Assert.Equal(4, Count(report, "disconnects"));
        Assert.Equal(0, Count(report, "connect_failures"));
    }
}
