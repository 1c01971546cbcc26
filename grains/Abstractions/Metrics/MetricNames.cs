namespace SimCluster.Abstractions.Metrics;

/// <summary>What a metric holds, which decides the aggregations a threshold may use on it.</summary>
public enum MetricKind
{
    /// <summary>A count of events: <c>count</c>, <c>rate</c> (per second of the run's active time), <c>value</c> (= count).</summary>
    Counter,
    /// <summary>A number between 0 and 1: <c>value</c> (and <c>rate</c>, the same number).</summary>
    Ratio,
    /// <summary>A distribution of durations in milliseconds: <c>p(N)</c>, <c>avg</c>, <c>min</c>, <c>max</c>, <c>med</c>, <c>count</c>.</summary>
    Trend,
    /// <summary>A single measured number (for example a target's memory growth): <c>value</c>.</summary>
    Gauge,
}

/// <summary>
/// Every metric name SimCluster reports, in one place (as k6 does). Names are part of the report format
/// that CI scripts and dashboards read: add, never rename.
/// </summary>
public static class MetricNames
{
    public const string Connects = "connects";
    public const string ConnectFailures = "connect_failures";
    public const string ConnectTime = "connect_time";
    public const string ConnectSuccessRatio = "connect_success_ratio";
    public const string Disconnects = "disconnects";
    public const string ReconnectTime = "reconnect_time";
    public const string MessagesSent = "messages_sent";
    public const string MessagesReceived = "messages_received";
    public const string MessageRtt = "message_rtt";
    public const string MessagesLost = "messages_lost";
    public const string MessagesInterrupted = "messages_interrupted";
    public const string MessagesDuplicated = "messages_duplicated";
    public const string MessagesReordered = "messages_reordered";
    public const string HeartbeatRtt = "heartbeat_rtt";
    public const string FalseDisconnects = "false_disconnects";

    // Flapping (test 6).
    /// <summary>Connections the scenario dropped on purpose (flapping); a switch's old path counts in <see cref="Switches"/>.</summary>
    public const string ForcedDrops = "forced_drops";
    /// <summary>Connections that opened again after a loss, one sample of reconnect_time each.</summary>
    public const string Reconnects = "reconnects";
    /// <summary>From the moment the network came back (end of a forced outage) to the next open connection.</summary>
    public const string RecoveryTime = "recovery_time";
    /// <summary>Reconnects / restores attempted: did every client that tried to get its connection back get it.</summary>
    public const string ReconnectSuccessRatio = "reconnect_success_ratio";
    /// <summary>
    /// How long the server kept a silently dead (blackholed) connection before it closed or reset it: the
    /// window in which a server leaks a socket for a client that is long gone.
    /// </summary>
    public const string DeadConnectionHoldTime = "dead_connection_hold_time";
    /// <summary>Clients that gave up after <c>reconnect.maxAttempts</c>.</summary>
    public const string ReconnectGiveUps = "reconnect_give_ups";

    // Zombies (test 7).
    public const string Zombies = "zombies";
    public const string ZombiesDetected = "zombies_detected";
    public const string ZombieDetectionRatio = "zombie_detection_ratio";
    public const string ZombieDetectTime = "zombie_detect_time";
    /// <summary>Zombies the server gave up on within the scenario's <c>expectDetectWithin</c>.</summary>
    public const string ZombiesWithinBound = "zombies_within_bound";
    /// <summary>Zombies the server still held when <c>observeFor</c> ran out.</summary>
    public const string ZombiesUndetected = "zombies_undetected";

    // Session protocol.
    /// <summary>Client messages sent again after a reconnect because the server did not hold them.</summary>
    public const string MessagesReplayed = "messages_replayed";
    /// <summary>Reconnects whose welcome said the server no longer knew the session.</summary>
    public const string SessionsForgotten = "sessions_forgotten";

    // Switching (test 9).
    public const string Switches = "switches";
    public const string SwitchResumeTime = "switch_resume_time";

    // Tokens (test 10).
    public const string TokenRefreshes = "token_refreshes";
    public const string TokenRefreshFailures = "token_refresh_failures";
    public const string TokenRefreshTime = "token_refresh_time";
    public const string AuthRejections = "auth_rejections";
    public const string ExpiredCloses = "expired_closes";
    /// <summary>
    /// How long a connection stayed open after its token expired (client clock): until the server closed it,
    /// the client refreshed too late, or the run ended. A server that enforces expiry keeps this near its skew.
    /// </summary>
    public const string TokenOverstay = "token_overstay";
    /// <summary>Connections still open after their token expired (each one is a sample of token_overstay).</summary>
    public const string TokensOutlived = "tokens_outlived";
    /// <summary>Server closes for expiry (4001) that came before the token's exp by the client's clock (clock skew).</summary>
    public const string ExpiredClosesEarly = "expired_closes_early";
    /// <summary>A previous token offered again after a refresh and accepted by the server (replay injection).</summary>
    public const string TokenReplaysAccepted = "token_replays_accepted";
    /// <summary>Time to obtain a token (minting, or the token endpoint's answer).</summary>
    public const string TokenFetchTime = "token_fetch_time";
    /// <summary>Token requests that failed (endpoint error, timeout, unusable answer).</summary>
    public const string TokenFetchFailures = "token_fetch_failures";

    // Malformed input (test 8).
    /// <summary>Malformed cases attackers started (one per case run, each variant on its own connection).</summary>
    public const string MalformedCases = "malformed_cases";
    /// <summary>Malformed case runs graded worse than NON-STRICT (WRONG-CODE, UNCLEAN, FAILED, TIMEOUT).</summary>
    public const string MalformedCasesFailed = "malformed_cases_failed";
    /// <summary>Times the server stopped accepting new connections right after a malformed case.</summary>
    public const string MalformedServerDown = "malformed_server_down";

    // The client side at the edges of a run: offered load, the drain, session books, restores.
    /// <summary>Sends the open-loop schedule asked for: every slot from the client's start to the run's planned end.</summary>
    public const string MessagesPlanned = "messages_planned";
    /// <summary>Messages still inside their <c>lossTimeout</c> when the stop grace ended, on a connection that was still open.</summary>
    public const string MessagesUnresolved = "messages_unresolved";
    public const string MessagesUnacked = "messages_unacked";
    /// <summary>Echoes that arrived after their message had been counted lost (after <c>lossTimeout</c>).</summary>
    public const string MessagesLate = "messages_late";
    /// <summary>Requests the server answered with an error (a SignalR completion with <c>error</c>, a json error reply).</summary>
    public const string MessagesFailed = "messages_failed";
    /// <summary>Actual minus planned send instant of every message sent (the tool's own lateness, CPU starvation shows here).</summary>
    public const string SendLag = "send_lag";
    /// <summary>Connections lost that the client then tried to restore (at least one reconnect attempt): the denominator of reconnect_success_ratio.</summary>
    public const string RestoresAttempted = "restores_attempted";
    /// <summary>Session frames the client could not use (a number out of range, a sequence far beyond any sent): ignored, the connection kept.</summary>
    public const string SessionProtocolErrors = "session_protocol_errors";
    public const string SignalrProtocolErrors = "signalr_protocol_errors";
    public const string SignalrResumes = "signalr_resumes";
    public const string SignalrResumesFailed = "signalr_resumes_failed";
    public const string SignalrReconnectsForbidden = "signalr_reconnects_forbidden";
    /// <summary>Server sequence gaps the client stopped waiting for because too many were open at once (each gap's messages counted lost then).</summary>
    public const string SessionGapsAbandoned = "session_gaps_abandoned";
    /// <summary>Connections the client ended because the server answered no PING with a PONG within <c>heartbeat.timeout</c>.</summary>
    public const string HeartbeatTimeouts = "heartbeat_timeouts";
    /// <summary>Zombies whose <c>observeFor</c> the end of the run cut short, before the server gave up on them.</summary>
    public const string ZombiesUnobserved = "zombies_unobserved";

    // Read from the target's /stats when it offers one (the reference target does).
    /// <summary>Growth of the target's resident memory from before the run to after it, in megabytes.</summary>
    public const string TargetRssGrowthMb = "target_rss_growth_mb";
    /// <summary>
    /// Growth of the target's managed heap after a full GC, before vs after the run, in megabytes: the leak
    /// signal (RSS also grows with warm-up: JIT, thread pool, allocator arenas).
    /// </summary>
    public const string TargetHeapGrowthMb = "target_heap_growth_mb";
    /// <summary>Connections the target still held open after every client closed (a leak when above 0).</summary>
    public const string TargetOpenAfterRun = "target_open_after_run";

    // Counted when malformed cases are graded.
    /// <summary>Planned malformed cases that never produced a verdict: never connected, or never ran.</summary>
    public const string MalformedCasesNotRun = "malformed_cases_not_run";

    // Server pushes (protocols whose server sends on its own: SignalR invocations, Socket.IO events, GraphQL subscriptions).
    /// <summary>Server pushes received, each counted once.</summary>
    public const string PushesReceived = "pushes_received";
    /// <summary>Gaps in a push stream's sequence numbers never filled by the end of the run (or by a restart of the stream).</summary>
    public const string PushesLost = "pushes_lost";
    /// <summary>Pushes whose sequence number had already been received.</summary>
    public const string PushesDuplicated = "pushes_duplicated";
    /// <summary>Pushes that filled a gap: they arrived after a higher sequence number of the same stream.</summary>
    public const string PushesReordered = "pushes_reordered";

    // Socket.IO (protocol: socketio).
    /// <summary>Namespace connects the server answered with the session it had kept (connection state recovery).</summary>
    public const string SocketioRecovered = "socketio_recovered";
    /// <summary>Namespace connects the server refused with a CONNECT_ERROR packet (44).</summary>
    public const string SocketioConnectErrors = "socketio_connect_errors";
    /// <summary>Connections the client gave up because no server ping came within pingInterval + pingTimeout.</summary>
    public const string SocketioPingTimeouts = "socketio_ping_timeouts";
    /// <summary>Frames from the server that were no valid Engine.IO / Socket.IO packet.</summary>
    public const string SocketioMalformed = "socketio_malformed";
    // graphql-ws (the graphql-transport-ws subprotocol).
    /// <summary>connection_ack frames received: inits the server accepted.</summary>
    public const string GraphqlAcks = "graphql_acks";
    /// <summary>From writing connection_init to reading connection_ack.</summary>
    public const string GraphqlAckTime = "graphql_ack_time";
    /// <summary>Subscriptions written (one per acknowledged connection).</summary>
    public const string GraphqlSubscribes = "graphql_subscribes";
    /// <summary>error frames: operations the server rejected.</summary>
    public const string GraphqlErrors = "graphql_errors";
    /// <summary>complete frames: operations the server ended.</summary>
    public const string GraphqlCompletes = "graphql_completes";
    /// <summary>Server frames that are not graphql-transport-ws messages, or a next without a usable sequence number.</summary>
    public const string GraphqlProtocolErrors = "graphql_protocol_errors";

    // The load shape.
    /// <summary>Clients the tool closed because the load shape ramped down past them (stages): a clean close, never a disconnect.</summary>
    public const string ClientsRampedDown = "clients_ramped_down";

    /// <summary>
    /// Every metric with its kind and its definition for users, in report order: the one table the report,
    /// thresholds, exporters and docs/metrics.md (<see cref="MetricDocs"/>) are built from.
    /// </summary>
    public static readonly IReadOnlyList<MetricDefinition> Table =
    [
        new(Connects, MetricKind.Counter, MetricSection.Connections,
            "WebSocket connections that opened: the server answered the upgrade with 101 and the handshake checked out. Every open counts, first connects, reconnects and switches alike."),
        new(ConnectFailures, MetricKind.Counter, MetricSection.Connections,
            "Connection attempts that did not open: TCP refused or timed out (`connectTimeout`), TLS failed, the upgrade was answered with another status, or no token could be had. Each attempt counts once; `disconnectCauses` has them by `connect:` detail."),
        new(ConnectTime, MetricKind.Trend, MetricSection.Connections,
            "From the start of a connection attempt (before DNS and the TCP connect) to the open WebSocket (the 101 response read and checked), per successful attempt."),
        new(ConnectSuccessRatio, MetricKind.Ratio, MetricSection.Connections,
            "Attempts that opened, divided by all attempts.") { Passes = Connects, OutOf = [Connects, ConnectFailures] },
        new(Disconnects, MetricKind.Counter, MetricSection.Connections,
            "Open connections that ended before the run's own stop, whoever ended them: the scenario (forced, switch), the server, or an error. Each has one cause in `disconnectCauses`."),
        new(ReconnectTime, MetricKind.Trend, MetricSection.Connections,
            "From the moment an open connection was lost (dropped by the scenario, closed or reset by the server) to the next open connection of the same client; includes the outage itself and the backoff."),
        new(MessagesSent, MetricKind.Counter, MetricSection.Messages,
            "Application messages the clients wrote to an open connection (replays of the session protocol not counted again)."),
        new(MessagesReceived, MetricKind.Counter, MetricSection.Messages,
            "Sent messages whose echo came back within `lossTimeout`, each counted once (session protocol: client messages the server echoed)."),
        new(MessageRtt, MetricKind.Trend, MetricSection.Messages,
            "From writing a message to reading its echo, per message received in time."),
        new(MessagesLost, MetricKind.Counter, MetricSection.Messages,
            "Echo protocol: messages whose echo did not come back within `lossTimeout` although the connection stayed open. Session protocol: messages never delivered by the end of the run after every replay, in both directions (a client message never echoed, a gap in the server's sequence, what a server that forgot the session dropped)."),
        new(MessagesInterrupted, MetricKind.Counter, MetricSection.Messages,
            "Echo protocol: messages whose connection closed (for any reason, a zombie's application dying among them) before their echo came back and before `lossTimeout` passed."),
        new(MessagesDuplicated, MetricKind.Counter, MetricSection.Messages,
            "Echoes (or server messages) received again after they had been received once."),
        new(PushesReceived, MetricKind.Counter, MetricSection.Messages,
            "Protocols with server pushes (signalr, socketio, graphql-ws, json): messages the server sent on its own (not answers to a request) that the client received, each counted once; duplicates are `pushes_duplicated`."),
        new(PushesLost, MetricKind.Counter, MetricSection.Messages,
            "Pushes that carry a sequence number (the scenario names the field): numbers missing from a stream below the highest one received, never filled by the end of the run, or still missing when the server started the stream over (a new session, a resubscription). Pushes after the last one a client received cannot be seen and are not counted."),
        new(PushesDuplicated, MetricKind.Counter, MetricSection.Messages,
            "Pushes whose stream and sequence number had already been received (a replay after a resumed session that sent too much, or a server bug)."),
        new(PushesReordered, MetricKind.Counter, MetricSection.Messages,
            "Pushes that arrived after a higher sequence number of the same stream, filling a gap (counted in `pushes_received` too)."),
        new(GraphqlAcks, MetricKind.Counter, MetricSection.Connections,
            "graphql-ws: `connection_ack` frames received, one per connection whose `connection_init` the server accepted. Connections the server closed instead (4403 unauthorized, 4408 init timeout) are in `disconnectCauses`."),
        new(GraphqlAckTime, MetricKind.Trend, MetricSection.Connections,
            "graphql-ws: from writing `connection_init` (right after the upgrade) to reading `connection_ack`."),
        new(GraphqlSubscribes, MetricKind.Counter, MetricSection.Messages,
            "graphql-ws: `subscribe` frames written, one per acknowledged connection (every reconnect subscribes again: a new stream)."),
        new(GraphqlErrors, MetricKind.Counter, MetricSection.Messages,
            "graphql-ws: `error` frames received: the server rejected the operation (a validation error, an unknown field); the subscription is over."),
        new(GraphqlCompletes, MetricKind.Counter, MetricSection.Messages,
            "graphql-ws: `complete` frames received: the server ended the operation (its stream ran out)."),
        new(GraphqlProtocolErrors, MetricKind.Counter, MetricSection.Messages,
            "graphql-ws: server frames the client could not use: not JSON, no known `type`, an unknown subscription id, or a `next` without a whole number at `graphqlWs.sequencePath`. The frame is ignored and the connection stays."),
        new(MessagesReordered, MetricKind.Counter, MetricSection.Messages,
            "Echoes (or server messages) that arrived after one with a higher sequence number."),
        new(HeartbeatRtt, MetricKind.Trend, MetricSection.Connections,
            "From writing a client heartbeat PING (`heartbeat.interval`) to reading its PONG."),
        new(FalseDisconnects, MetricKind.Counter, MetricSection.Connections,
            "Closes the server (or the network under it) initiated on clients that were behaving well (steady clients, canaries), excluding closes for an expired token."),
        new(ForcedDrops, MetricKind.Counter, MetricSection.Flapping,
            "Connections the scenario dropped on purpose (flapping `drop`: close, reset or blackhole)."),
        new(Reconnects, MetricKind.Counter, MetricSection.Flapping,
            "Connections that opened again after a loss (a sample of `reconnect_time` each)."),
        new(RecoveryTime, MetricKind.Trend, MetricSection.Flapping,
            "From the moment the network came back after a forced outage (the end of flapping `down`) to the next open connection: the server's and the reconnect policy's share of `reconnect_time`."),
        new(ReconnectSuccessRatio, MetricKind.Ratio, MetricSection.Flapping,
            "Connections lost that were open again by the end of the run, divided by connections lost that the client tried to restore (`restores_attempted`): a client that gave up (`reconnect.maxAttempts`) or was still trying when the run ended counts as not restored.") { Passes = Reconnects, OutOf = [RestoresAttempted] },
        new(RestoresAttempted, MetricKind.Counter, MetricSection.Flapping,
            "Connections lost that the client then tried to restore (at least one reconnect attempt): the denominator of `reconnect_success_ratio`."),
        new(ReconnectGiveUps, MetricKind.Counter, MetricSection.Flapping,
            "Clients that stopped trying after `reconnect.maxAttempts` failed attempts in a row."),
        new(DeadConnectionHoldTime, MetricKind.Trend, MetricSection.Flapping,
            "From a blackhole drop (the client goes silent without FIN or RST) to the server's Close frame, FIN or RST on that connection: how long the server held a connection whose client was gone."),
        new(Zombies, MetricKind.Counter, MetricSection.Zombies,
            "Zombie episodes started: a connection turned dead in the group's `zombie.kind` after `after`."),
        new(ZombiesDetected, MetricKind.Counter, MetricSection.Zombies,
            "Zombie episodes the server ended within `observeFor` (its Close frame, FIN or RST seen)."),
        new(ZombieDetectionRatio, MetricKind.Ratio, MetricSection.Zombies,
            "Zombies detected divided by zombies watched to a verdict (detected plus undetected): a zombie the run's end cut off inside `observeFor` (`zombies_unobserved`) counts neither way.") { Passes = ZombiesDetected, OutOf = [ZombiesDetected, ZombiesUndetected] },
        new(ZombieDetectTime, MetricKind.Trend, MetricSection.Zombies,
            "From the moment a connection turned zombie to the first sign the server gave up on it (Close frame, FIN or RST), per detected zombie."),
        new(ZombiesWithinBound, MetricKind.Counter, MetricSection.Zombies,
            "Detected zombies whose `zombie_detect_time` was within `expectDetectWithin`."),
        new(ZombiesUndetected, MetricKind.Counter, MetricSection.Zombies,
            "Zombie episodes the server still held when `observeFor` ran out."),
        new(MessagesReplayed, MetricKind.Counter, MetricSection.Session,
            "Session protocol: client messages sent again after a reconnect because the server's `welcome` did not acknowledge them."),
        new(SessionsForgotten, MetricKind.Counter, MetricSection.Session,
            "Session protocol: reconnects whose `welcome` said `resumed:false` (the server no longer knew the session)."),
        new(Switches, MetricKind.Counter, MetricSection.Switching,
            "Network interface switches (`switching.every`): each time a client moved its connection to its next interface."),
        new(SwitchResumeTime, MetricKind.Trend, MetricSection.Switching,
            "From the old path's loss to the session resumed on the new one (the `welcome` after the switch; the open connection for the echo protocol)."),
        new(TokenRefreshes, MetricKind.Counter, MetricSection.Tokens,
            "Token refreshes that succeeded: in band (`auth.refreshed`) or by reconnecting with the new token."),
        new(TokenRefreshFailures, MetricKind.Counter, MetricSection.Tokens,
            "Token refreshes that failed: no new token could be had, the server rejected it, or it did not answer in time."),
        new(TokenRefreshTime, MetricKind.Trend, MetricSection.Tokens,
            "From the start of a refresh (asking for the new token) to its success: `auth.refreshed` read, or the reconnect with the new token open."),
        new(AuthRejections, MetricKind.Counter, MetricSection.Tokens,
            "Upgrades the server refused for authentication (401 or 403) and in-band refreshes it answered `auth.rejected`."),
        new(ExpiredCloses, MetricKind.Counter, MetricSection.Tokens,
            "Server closes with code 4001 (token expired)."),
        new(TokenOverstay, MetricKind.Trend, MetricSection.Tokens,
            "From the token's expiry (`exp`, client clock) to the end of the connection that used it (server close, refresh or end of run), per connection still open after its token expired."),
        new(TokensOutlived, MetricKind.Counter, MetricSection.Tokens,
            "Connections still open after their token expired (each one is a sample of `token_overstay`)."),
        new(ExpiredClosesEarly, MetricKind.Counter, MetricSection.Tokens,
            "Expiry closes (4001) that came before the token's `exp` by the client's clock."),
        new(TokenReplaysAccepted, MetricKind.Counter, MetricSection.Tokens,
            "A previous token offered again after a refresh and accepted by the server (replay injection)."),
        new(TokenFetchTime, MetricKind.Trend, MetricSection.Tokens,
            "From asking for a token (minting it, or the request to `tokenUrl`) to having it."),
        new(TokenFetchFailures, MetricKind.Counter, MetricSection.Tokens,
            "Token requests that failed: endpoint error, timeout, or an answer without a usable token."),
        new(MalformedCases, MetricKind.Counter, MetricSection.Malformed,
            "Malformed case runs attackers started (one per case run; each variant on its own connection)."),
        new(MalformedCasesFailed, MetricKind.Counter, MetricSection.Malformed,
            "Malformed case runs graded WRONG-CODE, UNCLEAN, FAILED or TIMEOUT."),
        new(MalformedServerDown, MetricKind.Counter, MetricSection.Malformed,
            "Times the server stopped accepting new connections right after a malformed case."),
        new(TargetRssGrowthMb, MetricKind.Gauge, MetricSection.Target,
            "Growth of the target's resident memory from before the run to after it, in megabytes (from the target's `/stats`)."),
        new(TargetHeapGrowthMb, MetricKind.Gauge, MetricSection.Target,
            "Growth of the target's managed heap after a full GC, before vs after the run, in megabytes (from `/stats`): the leak signal, free of warm-up growth."),
        new(TargetOpenAfterRun, MetricKind.Gauge, MetricSection.Target,
            "Connections the target still held open after every client closed (from `/stats`; a leak when above 0)."),

        // The clients' end-of-run drain, offered-load schedule, zombies and heartbeats.
        new(MessagesPlanned, MetricKind.Counter, MetricSection.Messages,
            "Sends the open-loop schedule asked for: one slot at start + phase + k x `interval` from each client's start to the run's planned end, whether or not a connection was open then."),
        new(MessagesUnresolved, MetricKind.Counter, MetricSection.Messages,
            "Messages still inside their `lossTimeout` on an open connection when the stop grace ran out: neither received nor lost. `messages_sent` = `messages_received` + `messages_failed` + `messages_lost` + `messages_interrupted` + `messages_unresolved` + `messages_unacked`."),
        new(MessagesUnacked, MetricKind.Counter, MetricSection.Messages,
            "protocol socketio with `socketio.ack: false`: events emitted without asking for an ack, so nothing tells whether the server got them; counted sent and here, never received, lost or interrupted."),
        new(MessagesLate, MetricKind.Counter, MetricSection.Messages,
            "Echoes that arrived after their message's `lossTimeout` had passed (the message stays counted in `messages_lost`)."),
        new(MessagesFailed, MetricKind.Counter, MetricSection.Messages,
            "Requests the server answered with an error instead of a result (a protocol with error replies: a SignalR completion carrying `error`, a json error reply): answered, but neither received nor lost."),
        new(SendLag, MetricKind.Trend, MetricSection.Tool,
            "Actual minus planned send instant of each application message: how far the tool fell behind its own schedule."),
        new(ZombiesUnobserved, MetricKind.Counter, MetricSection.Zombies,
            "Zombie episodes whose `observeFor` window the end of the run cut short before the server acted: neither detected nor undetected."),
        new(SessionProtocolErrors, MetricKind.Counter, MetricSection.Session,
            "Session protocol: server frames the client could not use (a number out of range, a sequence far beyond any the server could have sent); the frame is ignored and the connection stays."),
        new(SignalrProtocolErrors, MetricKind.Counter, MetricSection.Session,
            "SignalR: hub records the client could not read (not JSON, not an object); the record is ignored and the connection stays."),
        new(SignalrResumes, MetricKind.Counter, MetricSection.Session,
            "SignalR with stateful reconnect: dropped hub connections resumed with their connection token (the hub took the new transport for the old connection, and each side resent what the other had not acknowledged). The hub counts the same in its own stateful-reconnect events."),
        new(SignalrResumesFailed, MetricKind.Counter, MetricSection.Session,
            "SignalR with stateful reconnect: attempts to resume a dropped hub connection with its connection token that did not get through: the hub answered 404 (it had let the connection go) or 409 (it still held the old transport), or the network failed. Each also counts in `connect_failures` (`disconnectCauses` says which); the client tries one resume per drop and then negotiates a new connection, as the .NET client does, and what the old connection had not answered is lost."),
        new(SignalrReconnectsForbidden, MetricKind.Counter, MetricSection.Session,
            "SignalR: hub close messages (type 7) with `allowReconnect: false`. The .NET client ends the hub connection for good on one (no automatic reconnect), and so does the simulated client: it stops reconnecting."),
        new(SessionGapsAbandoned, MetricKind.Counter, MetricSection.Session,
            "Session protocol: gaps in the server's sequence the client stopped waiting for because 1,024 server messages were already held beyond gaps; their messages count as lost."),
        new(HeartbeatTimeouts, MetricKind.Counter, MetricSection.Connections,
            "Connections the client closed because no PONG came within `heartbeat.timeout` (disconnect cause `heartbeat:timeout`)."),

        // Counted when malformed cases are graded.
        new(MalformedCasesNotRun, MetricKind.Counter, MetricSection.Malformed,
            "Planned malformed cases without a verdict: every attempt failed to connect, or the run ended before any attacker ran the case (`NOT-RUN` in `cases`)."),
        new(SocketioRecovered, MetricKind.Counter, MetricSection.Session,
            "protocol socketio with `socketio.recovery`: namespace connects after a reconnect that the server answered with the private session id (`pid`) the client presented, so it replayed the events the client had missed (the client's `socket.recovered`)."),
        new(SocketioConnectErrors, MetricKind.Counter, MetricSection.Connections,
            "protocol socketio: namespace connects answered with CONNECT_ERROR (`44{message}`): an unknown namespace (cause `socketio:invalid-namespace`) or a middleware refusal (cause `socketio:rejected`; counted in `auth_rejections` too when the client presented a token). The client then closes the connection and reconnects by the policy."),
        new(SocketioPingTimeouts, MetricKind.Counter, MetricSection.Connections,
            "protocol socketio: connections the client closed because no Engine.IO ping (`2`) came within pingInterval + pingTimeout of the open packet or the previous ping, as the real client does (`ping timeout`)."),
        new(SocketioMalformed, MetricKind.Counter, MetricSection.Messages,
            "protocol socketio: text frames from the server that were no valid packet: an unknown Engine.IO or Socket.IO type, an event or ack whose JSON does not parse, an ack id that is no number or that the client never sent. Each is counted and ignored, except an ack of a pending request whose JSON does not parse: that request counts failed."),
        new(ClientsRampedDown, MetricKind.Counter, MetricSection.Connections,
            "Clients the tool itself closed before the run's end because the load shape (`stages`) ramped down past them: each drains its answers in flight, then closes with 1000 `ramp-down`. Not counted in `disconnects`, `false_disconnects` or any disconnect cause."),
    ];

    /// <summary>Every metric with its kind; the report lists all of them, zero (or no data) when nothing happened.</summary>
    public static readonly IReadOnlyDictionary<string, MetricKind> All = Table.ToDictionary(m => m.Name, m => m.Kind);

    /// <summary>Every metric's definition by name.</summary>
    public static readonly IReadOnlyDictionary<string, MetricDefinition> Definitions = Table.ToDictionary(m => m.Name);
}

/// <summary>Where a metric is listed in docs/metrics.md.</summary>
public enum MetricSection { Connections, Messages, Flapping, Zombies, Session, Switching, Tokens, Malformed, Tool, Target }

/// <summary>
/// One metric of the table: its name, kind and the exact definition users read in docs/metrics.md (what
/// starts and ends a duration, what is counted). A ratio names the counter it counts as passes and the
/// counters it divides by; with nothing to divide by it has no data (a threshold on it fails).
/// </summary>
public sealed record MetricDefinition(string Name, MetricKind Kind, MetricSection Section, string Definition)
{
    /// <summary>For a ratio: the counter whose count is the numerator.</summary>
    public string? Passes { get; init; }

    /// <summary>For a ratio: the counters whose sum is the denominator.</summary>
    public IReadOnlyList<string> OutOf { get; init; } = [];

    /// <summary>The definition without Markdown, for instrument descriptions (Prometheus HELP, Grafana).</summary>
    public string PlainDefinition => Definition.Replace("`", "", StringComparison.Ordinal);
}

/// <summary>
/// Why a connection ended (or never opened), counted per group into report.json's <c>disconnectCauses</c>.
/// Labels are <c>category:detail</c>; the categories are fixed, details name the mode, code or error.
/// Every counted <see cref="MetricNames.Disconnects"/> has exactly one cause in the forced, switch, server,
/// heartbeat or tool category; zombie episodes and failed connection attempts are counted beside them. Part of the
/// external contract like the metric names: add, never rename.
/// </summary>
public static class DisconnectCauses
{
    /// <summary>The scenario dropped the connection: <c>forced:close</c>, <c>forced:reset</c>, <c>forced:blackhole</c>.</summary>
    public const string Forced = "forced";
    /// <summary>A network switch killed the old path: <c>switch:blackhole</c>, <c>switch:reset</c>, <c>switch:fin</c>.</summary>
    public const string Switch = "switch";
    /// <summary>
    /// The server ended it: <c>server:close-CODE</c> (a Close frame with that code, <c>close-1005</c> without one),
    /// or, with no Close frame, as <c>DisconnectCause.Classify</c> names it: <c>server:reset</c> (RST), <c>server:closed-without-handshake</c>
    /// (FIN between frames), <c>server:closed-mid-frame</c>, <c>server:message-too-big</c>, <c>server:stalled-fragment</c>
    /// (a fragmented message unfinished after <c>lossTimeout</c>), <c>server:protocol-error</c>, <c>server:other</c>.
    /// </summary>
    public const string Server = "server";
    /// <summary>A zombie episode ended: <c>zombie:evicted</c> (the server gave up on it) or <c>zombie:undetected</c>.</summary>
    public const string Zombie = "zombie";
    /// <summary>A connection attempt failed: <c>connect:refused</c>, <c>connect:timeout</c>, <c>connect:http-403</c>, ...</summary>
    public const string Connect = "connect";
    /// <summary>The tool itself ended it (its own close, an error on its side): <c>tool:close</c>.</summary>
    public const string Tool = "tool";
    /// <summary>The client gave up on a server that answered no heartbeat within <c>heartbeat.timeout</c>: <c>heartbeat:timeout</c>.</summary>
    public const string Heartbeat = "heartbeat";

    public static readonly IReadOnlyList<string> Categories = [Forced, Switch, Server, Zombie, Connect, Tool, Heartbeat];

    public static string Of(string category, string detail) => $"{category}:{detail}";

    /// <summary>The category of a label (the part before the colon).</summary>
    public static string CategoryOf(string label) => label.IndexOf(':') is var i and >= 0 ? label[..i] : label;
}
