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
        + $"disconnects={string.Join(',', hub.Disconnects.Select(d => d.Key + ":" + d.Value))} | report causes={report["disconnectCauses"]?.ToJsonString()}";

    /// <summary>Assert.Equal that shows both books when it fails.</summary>
    private static void Same(long expected, long actual, string books) => Assert.True(expected == actual, $"expected {expected}, actual {actual}\n{books}");

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
        // Every invocation counted sent reached the hub: a clean close goes out after every send written before it
        // (even one whose completion the close then cut off: interrupted), and the run's end drains first.
        Same(Count(report, "messages_sent"), hub.InvocationsReceived, books);
        Same(0, Count(report, "messages_lost") + Count(report, "messages_unresolved"), books);
        Assert.Equal(hub.Invocations, hub.InvocationsReceived); // no unknown method, no resend
        // A completion the hub had not written when the client's close arrived is never written: the client counted
        // that request interrupted.
        Assert.True(hub.Completions <= hub.Invocations && hub.Invocations - hub.Completions <= Count(report, "messages_interrupted"), books);
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
    public async Task Switching_and_flapping_clients_resume_their_hub_connections_by_stateful_reconnect_with_nothing_lost_or_run_twice()
    {
        // The old path is shut (FIN) at each switch (the hub lets go of the old transport and waits for the resume); the
        // flappers drop with a clean close too. Every drop comes back inside the hub's reconnect window and the
        // client's serverTimeout, so each one is a resume: both sides resend what the other had not acknowledged and
        // drop what they already had. Each hub connection gets 15 pushes (3 s), so even the flappers' last new
        // connections (by about 8 s) have had all of theirs before the run stops: every one the hub sent has arrived.
        await using var target = await StartAsync(new TargetOptions
        {
            SignalR = new SignalRTargetOptions
            {
                KeepAliveInterval = TimeSpan.FromMilliseconds(500), ClientTimeout = TimeSpan.FromSeconds(6),
                PushInterval = TimeSpan.FromMilliseconds(200), PushCount = 15, ReconnectWindow = TimeSpan.FromSeconds(20),
            },
        });
        var (report, run) = await RunAsync("signalr-stateful-switching", $$"""
            target: {{Ws(target.HubUri)}}
            clients: 12
            duration: 12s
            rampUp: 1s
            seed: 33
            messages: { interval: 200ms, size: 64, lossTimeout: 4s }
            reconnect: { policy: exponential, base: 50ms, max: 300ms, jitter: full }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 8s, statefulReconnect: true, pushTarget: push, pushSequence: seq }
            population:
              - { name: steady, share: 34% }
              - name: mobile
                share: 33%
                behavior: switching
                switching: { interfaces: [wifi-good, ethernet], every: 1500ms..2500ms, mode: break-before-make, gap: 100ms, oldPath: fin }
              - name: flappers
                share: 33%
                behavior: flapping
                flapping: { up: 1s..2s, down: 100ms..300ms, drop: [close], cycles: 3 }
            """);
        var hub = await SettledAsync(target);
        var books = Books(report, hub) + $" resumes={Count(report, MetricNames.SignalrResumes)} replayed={Count(report, MetricNames.MessagesReplayed)}\n" + run;
        var drops = Count(report, "switches") + Count(report, "forced_drops");
        Assert.True(Count(report, "switches") >= 8 && Count(report, "forced_drops") >= 8, books);
        // Every switch was a resume of the same hub connection, as the hub counted it, but for a switch the run's
        // end caught with its new path not yet open (at most one per switching client).
        var unresumed = Count(report, "switches") - hub.StatefulReconnects;
        Assert.True(unresumed >= 0 && unresumed <= 4, books);
        Same(0, Count(report, MetricNames.SignalrResumesFailed), books);
        Same(hub.StatefulReconnects, Count(report, MetricNames.SignalrResumes), books);
        // A clean close is the end of a hub connection (the hub answers a resume of it with 404): each flapper's drop
        // starts a new one; every other drop was a resume.
        Same(12 + Count(report, "forced_drops"), hub.Connections, books);
        Same(hub.Connections + hub.StatefulReconnects, Count(report, "connects"), books);
        // Nothing lost, nothing twice: every invocation ran once on the hub and its completion came back once.
        Same(0, Count(report, "messages_lost"), books);
        Same(0, Group(report, "mobile", "messages_interrupted"), books);
        Same(0, Count(report, "messages_duplicated"), books);
        Same(0, Count(report, "messages_failed"), books);
        Same(Count(report, "messages_sent"), hub.Invocations, books);
        // The hub parsed every resent invocation and ran none of them twice: what it parsed beyond what it ran are
        // resends of what it already had.
        Assert.True(hub.InvocationsReceived - hub.Invocations <= Count(report, MetricNames.MessagesReplayed), books);
        // What a flapper had in flight when it closed is interrupted (its own close), everything else came back.
        Same(Count(report, "messages_sent"), Count(report, "messages_received") + Group(report, "flappers", "messages_interrupted"), books);
        // And every push the hub sent arrived once, in order, but those it sent after a flapper's close frame (that
        // stream ends there: nothing later shows them as a gap) or held for a client the end caught between its paths
        // (a push every 200 ms: a few at most per such drop).
        Same(0, hub.PushesNotSent, books);
        var cut = Count(report, "forced_drops") + unresumed;
        Assert.True(hub.PushesSent - Count(report, "pushes_received") is var notReceived && notReceived >= 0 && notReceived <= 3 * cut, books);
        Same(0, Count(report, "pushes_lost"), books);
        Same(0, Count(report, "pushes_duplicated"), books);
        // The hub evicts a connection the end caught between its paths at its client timeout (shorter than its
        // reconnect window), and no other.
        Same(unresumed, hub.Evictions, books);
        AssertConserved(report);
        Assert.True(drops > 0, books);
    }

    [Fact]
    public async Task With_a_stateful_buffer_too_small_the_pushes_lost_are_exactly_those_the_hub_could_not_send()
    {
        // A 300-byte buffer (about four messages): past it the hub's next send waits for the client's ack (once a second), so
        // most pushes find the previous one still waiting and are skipped; their numbers are used up, and each one
        // skipped before a later push went out is a gap the hub counts and the client must see. Switches resume
        // through it all.
        await using var target = await StartAsync(new TargetOptions
        {
            SignalR = new SignalRTargetOptions
            {
                KeepAliveInterval = TimeSpan.FromMilliseconds(500), ClientTimeout = TimeSpan.FromSeconds(6),
                PushInterval = TimeSpan.FromMilliseconds(100), PushCount = 60, StatefulReconnectBufferSize = 300,
                ReconnectWindow = TimeSpan.FromSeconds(20),
            },
        });
        // The run outlasts the hub's 60 pushes a client (6 s, stretched by the waits) by far: a push the hub writes
        // after the client's closing frame is one no client reads, which this test is not about. A completion that
        // waited behind the full buffer is late, not lost.
        var (report, run) = await RunAsync("signalr-small-buffer", $$"""
            target: {{Ws(target.HubUri)}}
            clients: 6
            duration: 18s
            rampUp: 1s
            seed: 38
            messages: { interval: 2s, size: 64, lossTimeout: 15s }
            reconnect: { policy: exponential, base: 50ms, max: 300ms, jitter: full }
            signalr: { method: Echo, keepAliveInterval: 500ms, serverTimeout: 8s, statefulReconnect: true, pushTarget: push, pushSequence: seq }
            population:
              - { name: steady, share: 50% }
              - name: mobile
                share: 50%
                behavior: switching
                switching: { interfaces: [wifi-good, ethernet], every: 1500ms..2500ms, mode: break-before-make, gap: 100ms, oldPath: fin }
            """);
        var hub = await SettledAsync(target);
        var books = Books(report, hub) + "\n" + run;
        Assert.True(hub.PushGaps > 0 && Count(report, "switches") > 0, books);
        Same(hub.PushGaps, Count(report, "pushes_lost"), books);
        Same(hub.PushesSent, Count(report, "pushes_received"), books);
        Same(0, Count(report, "pushes_duplicated"), books);
        // Each switch is one resume, except a switch the run's end cut off before its resume (at most one a client):
        // the hub evicts that connection at its client timeout, which ends before its reconnect window would.
        Same(hub.StatefulReconnects, Count(report, MetricNames.SignalrResumes), books);
        var cutOff = Count(report, "switches") - Count(report, MetricNames.SignalrResumes) - Count(report, MetricNames.SignalrResumesFailed);
        Assert.True(cutOff >= 0 && cutOff <= 6, books);
        Same(cutOff, hub.Evictions, books);
        Same(0, Count(report, "messages_lost"), books);
        Same(0, Count(report, "messages_duplicated"), books);
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
        Same(0, Count(report, "messages_lost"), books);
        Same(hub.Invocations, Count(report, "messages_sent"), books);
        AssertConserved(report);
    }

    [Fact]
    public async Task Without_refresh_every_connection_is_closed_by_the_hub_at_expiry_and_each_close_is_counted()
    {
        // All connect at once, and nobody reconnects after the hub's close (the next attempt would be 30 s later): no
        // second token can expire at the end of the run, where the hub (which calls any close after exp an expiry)
        // and the stopping client would disagree, however late a loaded machine ends the run.
        var (report, run) = await RunAsync("signalr-expiry", """
            target: embedded
            clients: 10
            duration: 5s
            rampUp: 0s
            seed: 35
            messages: { interval: 500ms, size: 64, lossTimeout: 3s }
            reconnect: { policy: fixed, base: 30s, jitter: none }
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
        Assert.True(hub.ExpiredCloses == 10, books);
        Same(10, hub.Connections, books);
        Same(hub.ExpiredCloses, Count(report, "expired_closes"), books);
        Same(0, hub.Evictions, books);
        Same(0, Count(report, "false_disconnects"), books);
        Same(hub.Connections, Count(report, "connects"), books);
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
    public async Task A_handshake_the_hub_refuses_is_a_classified_connect_failure_for_every_upgrade_it_took()
    {
        await using var hub = await BrokenHub.StartAsync(refuseHandshake: true);
        var (report, run) = await RunAsync("signalr-refused-handshake", $$"""
            target: {{Ws(hub.HubUri)}}
            clients: 4
            duration: 4s
            seed: 40
            messages: { interval: 250ms, size: 64, lossTimeout: 1s }
            reconnect: { policy: fixed, base: 200ms, jitter: none }
            signalr: { method: Echo, keepAliveInterval: 1s, serverTimeout: 4s, statefulReconnect: false }
            """);
        var upgrades = Interlocked.Read(ref hub.Upgrades);
        var books = $"upgrades={upgrades} connected={hub.Connected} connects={Count(report, "connects")} failures={Count(report, "connect_failures")} causes={report["disconnectCauses"]!.ToJsonString()}\n{run}";
        // Each upgrade the hub took ended in its handshake error: a connect failure of its own cause, never a connect,
        // and the clients kept trying (as the .NET client's StartAsync fails and an application retries it).
        Assert.True(upgrades >= 8, books);
        Same(Count(report, "connect_failures"), Cause(report, "connect:signalr-handshake"), books);
        // Every upgrade the hub took is one of those failures, but for an attempt the run's end cut short (at most
        // one per client).
        Assert.True(upgrades - Count(report, "connect_failures") is >= 0 and <= 4, books);
        Assert.Equal(0, Count(report, "connects"));
        Assert.Equal(0, hub.Connected);
        Assert.Equal(0, Count(report, "messages_sent"));
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
