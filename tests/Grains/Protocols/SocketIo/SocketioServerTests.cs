using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols.SocketIo;

/// <summary>
/// protocol: socketio against the real socket.io 4.8.1 server (tests/peers/socketio-server.js): the server's own
/// counts (namespace connections, acks, ping-timeout disconnects, recovered sessions, ticks it could not replay,
/// middleware refusals, the malformed acks it wrote) are the ground truth.
/// </summary>
[Trait("Category", "Integration")]
[Collection(ProbesCollection.Name)]
public sealed class SocketioServerTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("socketio");

    public SocketioServerTests(NodePeers peers) => GC.KeepAlive(peers);

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static long Count(JsonObject report, string name) => Contract.Count(report, name);

    [Fact]
    public async Task Connects_and_acks_agree_with_the_socket_io_servers_own_counts()
    {
        // Pings every 500 ms, so every connection pongs a few times and a missing pong would show as an eviction.
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-real", "socketio-server.js", ["500", "1000"], port => $$"""
            name: socketio-real
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 20
            duration: 8s
            seed: 20
            messages: { interval: 200ms, lossTimeout: 1s, size: 64 }
            reconnect: { policy: exponential, base: 50ms, max: 500ms, jitter: full }
            socketio: { event: message }
            population:
              - { name: steady, share: 50% }
              - name: flappers
                share: 50%
                behavior: flapping
                flapping: { up: 1s..2s, down: 100ms..300ms, drop: [close, reset], cycles: 3 }
            """);

        var counts = string.Join(' ', new[] { "connects", "forced_drops", "messages_sent", "messages_received", "messages_lost", "messages_failed", "messages_interrupted", "messages_unresolved", "messages_duplicated", "socketio_ping_timeouts", "socketio_malformed", "socketio_connect_errors" }
            .Select(n => $"{n}={Count(report, n)}")) + " | server " + line;
        var sent = Count(report, "messages_sent");
        var received = Count(report, "messages_received");
        var cutOff = Count(report, "messages_interrupted") + Count(report, "messages_lost");
        Assert.True(sent >= 20 * 8 * 5 / 2, $"only {sent} sent: {counts}");
        Assert.True(Count(report, "forced_drops") >= 10, counts);
        // Every WebSocket that opened became a namespace connection on the server (the open packet it sends first was answered).
        Assert.Equal(stats["connections"], Count(report, "connects"));
        Assert.Equal(stats["engine"], Count(report, "connects"));
        Assert.Equal(stats["events"], stats["acks"]);
        // An ack is received or its request was cut off by a forced drop, and nothing else is counted twice.
        Assert.True(received <= stats["acks"] && stats["acks"] - received <= cutOff, counts);
        Assert.True(stats["events"] <= sent && sent - stats["events"] <= cutOff, counts);
        Assert.Equal(sent, received + Count(report, "messages_failed") + cutOff + Count(report, "messages_unresolved"));
        Assert.Equal(0, Count(report, "messages_failed"));
        Assert.Equal(0, Count(report, "messages_duplicated"));
        Assert.Equal(0, Count(report, "socketio_malformed"));
        Assert.Equal(0, Count(report, "socketio_connect_errors"));
        Assert.Equal(0, Count(report, "socketio_ping_timeouts"));
    }

    private static long Cause(JsonObject report, string cause) =>
        report["disconnectCauses"]?[cause]?.GetValue<long>() ?? 0;

    private static string Counts(JsonObject report, string statsLine, params string[] names) =>
        string.Join(' ', names.Select(n => $"{n}={Count(report, n)}")) + " | causes " + report["disconnectCauses"]?.ToJsonString() + " | server " + statsLine;

    [Fact]
    public async Task Zombies_that_stop_ponging_are_the_servers_ping_timeouts_and_no_healthy_client_is_evicted()
    {
        // The server pings every 500 ms and gives up 1.5 s after a ping without its pong.
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-zombies", "socketio-server.js", ["500", "1500"], port => $$"""
            name: socketio-zombies
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 16
            duration: 10s
            seed: 21
            messages: { interval: 300ms, lossTimeout: 2s, size: 64 }
            reconnect: { policy: exponential, base: 100ms, max: 1s, jitter: full }
            population:
              - { name: steady, share: 50% }
              - name: zombies
                share: 50%
                behavior: zombie
                zombie: { kind: app-dead, after: 2s, observeFor: 6s, expectDetectWithin: 2500ms }
            """);
        var counts = Counts(report, line, "zombies", "zombies_detected", "zombies_undetected", "zombies_unobserved", "zombies_within_bound",
            "false_disconnects", "socketio_ping_timeouts", "messages_failed");
        Assert.Equal(8, Count(report, "zombies"));
        // Every zombie went silent at the app level only, and the server found each by its own ping timeout, nobody else.
        Assert.Equal(Count(report, "zombies"), Count(report, "zombies_detected"));
        Assert.Equal(stats["pingTimeouts"], Count(report, "zombies_detected"));
        Assert.Equal(Count(report, "zombies_detected"), Cause(report, "zombie:evicted"));
        Assert.Equal(Count(report, "zombies_detected"), (long)report["metrics"]!["zombie_detect_time"]!["count"]!);
        Assert.Equal(0, Count(report, "false_disconnects"));
        Assert.Equal(0, Count(report, "socketio_ping_timeouts"));
        Assert.Equal(0, Count(report, "messages_failed"));
        Assert.True(stats["acks"] > 0, counts);
    }

    [Fact]
    public async Task With_connection_state_recovery_the_recovered_sessions_and_the_lost_ticks_are_the_servers()
    {
        // Sessions are kept 800 ms: the quick flappers and the switchers come back inside it and are replayed what
        // they missed; the slow flappers stay away 1.5-2 s on purpose, so the server has forgotten them and every
        // tick emitted after the last one they had is lost, as the server counts it from the offset they present.
        // The flappers' cycles end by about 7 s into the 12 s run, so no unrecovered reconnect is left without a later
        // tick to show its gap.
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-recovery", "socketio-server.js", ["1000", "3000", "recovery:800", "ticks:50"], port => $$"""
            name: socketio-recovery
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 20
            duration: 12s
            seed: 22
            messages: { interval: 250ms, lossTimeout: 2s, size: 64 }
            reconnect: { policy: exponential, base: 50ms, max: 200ms, jitter: full }
            socketio: { recovery: true, push: { event: tick, sequence: seq } }
            population:
              - { name: steady, share: 20% }
              - name: quick
                share: 30%
                behavior: flapping
                flapping: { up: 800ms..1500ms, down: 50ms..150ms, drop: [close, reset], cycles: 4 }
              - name: slow
                share: 25%
                behavior: flapping
                flapping: { up: 800ms..1500ms, down: 1500ms..2s, drop: [close, reset], cycles: 2 }
              - name: switchers
                share: 25%
                behavior: switching
                switching: { interfaces: [ethernet, wifi-good], every: 1s..2s, mode: break-before-make, gap: 50ms, oldPath: reset }
            """);
        var counts = Counts(report, line, "connects", "forced_drops", "switches", "socketio_recovered", "pushes_received", "pushes_lost",
            "pushes_duplicated", "pushes_reordered", "socketio_malformed", "messages_failed");
        Assert.Equal(stats["recovered"], Count(report, "socketio_recovered"));
        Assert.Equal(stats["unreplayed"], Count(report, "pushes_lost"));
        Assert.Equal(0, stats["unknownOffsets"]);
        // Both sides of the books were exercised: sessions recovered, and sessions the server could no longer recover.
        Assert.True(stats["recovered"] > 0, counts);
        Assert.True(stats["unreplayed"] > 0, counts);
        Assert.Equal(stats["connections"], Count(report, "connects"));
        Assert.Equal(0, Count(report, "pushes_duplicated"));
        Assert.Equal(0, Count(report, "socketio_malformed"));
        Assert.Equal(0, Count(report, "messages_failed"));
    }

    [Fact]
    public async Task An_unknown_namespace_is_refused_by_the_server_and_classified_never_a_hang()
    {
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-nsp", "socketio-server.js", [], port => $$"""
            name: socketio-nsp
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 4
            duration: 4s
            seed: 23
            messages: { interval: 200ms, lossTimeout: 1s }
            reconnect: { policy: exponential, base: 100ms, max: 500ms, jitter: full }
            socketio: { namespace: /nowhere }
            """);
        var errors = Count(report, "socketio_connect_errors");
        var counts = Counts(report, line, "connects", "socketio_connect_errors", "connect_failures", "auth_rejections", "messages_sent");
        Assert.Equal(0, stats["connections"]);
        Assert.True(errors >= 4, counts);
        // Each Engine.IO connection was refused, but for one per client the run's end may have cut in before the refusal.
        Assert.True(errors <= stats["engine"] && stats["engine"] - errors <= 4, counts);
        // A refusal arriving while the client stops is counted (the server sent it) but ends no connection of the run:
        // at most one per client.
        Assert.InRange(errors - Cause(report, "connect:socketio-invalid-namespace"), 0, 4);
        Assert.Equal(0, Count(report, "auth_rejections"));
        Assert.Equal(0, Count(report, "messages_sent"));
    }

    [Fact]
    public async Task A_middleware_refusing_the_auth_payload_is_an_auth_rejection()
    {
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-auth", "socketio-server.js", ["1000", "2000", "reject:all"], port => $$"""
            name: socketio-auth
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 4
            duration: 4s
            seed: 24
            messages: { interval: 200ms, lossTimeout: 1s }
            reconnect: { policy: exponential, base: 100ms, max: 500ms, jitter: full }
            auth: { jwt: { generateKey: true, lifetime: 60s }, send: protocol, refresh: { mode: reconnect } }
            """);
        var errors = Count(report, "socketio_connect_errors");
        var counts = Counts(report, line, "connects", "socketio_connect_errors", "connect_failures", "auth_rejections", "messages_sent");
        Assert.Equal(0, stats["connections"]);
        Assert.True(errors >= 4, counts);
        Assert.True(errors <= stats["rejected"] && stats["rejected"] - errors <= 4, counts);
        Assert.Equal(errors, Count(report, "auth_rejections"));
        // As for the namespace: a rejection arriving while the client stops ends no connection of the run.
        Assert.InRange(errors - Cause(report, "connect:socketio-rejected"), 0, 4);
        Assert.Equal(0, Count(report, "messages_sent"));
    }

    [Fact]
    public async Task Malformed_acks_are_counted_and_fail_only_their_own_request()
    {
        var (report, stats, line) = await PeerRun.RunAsync(_temp, "socketio-acks", "socketio-server.js", ["1000", "2000", "acks:bad"], port => $$"""
            name: socketio-acks
            target: ws://127.0.0.1:{{port}}
            protocol: socketio
            clients: 6
            duration: 5s
            seed: 25
            messages: { interval: 200ms, lossTimeout: 2s, size: 64 }
            """);
        var counts = Counts(report, line, "messages_sent", "messages_received", "messages_failed", "messages_lost", "messages_unresolved",
            "messages_interrupted", "messages_duplicated", "socketio_malformed");
        Assert.True(stats["badJsonAcks"] > 0 && stats["strayAcks"] > 0, counts);
        // An ack whose JSON does not parse fails its request; an ack for an id never sent answers nothing; both are malformed.
        // An ack with bad JSON fails its request, but for those of requests the client had already given up at the end.
        var givenUp = Count(report, "messages_lost") + Count(report, "messages_unresolved") + Count(report, "messages_interrupted");
        Assert.True(Count(report, "messages_failed") <= stats["badJsonAcks"] && stats["badJsonAcks"] - Count(report, "messages_failed") <= givenUp, counts);
        Assert.Equal(stats["badJsonAcks"] + stats["strayAcks"], Count(report, "socketio_malformed"));
        // Every event counted sent reached the server, but for those whose connection ended under them; every ack the
        // server sent was counted, but for those of requests the client had already given up (the run's end on a
        // loaded machine): the books balance.
        var open = Count(report, "messages_lost") + Count(report, "messages_unresolved") + Count(report, "messages_interrupted");
        Assert.True(stats["events"] <= Count(report, "messages_sent") && Count(report, "messages_sent") - stats["events"] <= open, counts);
        Assert.True(Count(report, "messages_received") <= stats["acks"] && stats["acks"] - Count(report, "messages_received") <= open, counts);
        Assert.Equal(Count(report, "messages_sent"), Count(report, "messages_received") + Count(report, "messages_failed") + open);
        Assert.Equal(0, Count(report, "messages_duplicated"));
    }
}
