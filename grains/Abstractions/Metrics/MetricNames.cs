namespace SimCluster.Abstractions.Metrics;

/// <summary>What a metric holds, which decides the aggregations a threshold may use on it.</summary>
public enum MetricKind
{
    /// <summary>A count of events: <c>count</c>, <c>rate</c> (per second of run), <c>value</c> (= count).</summary>
    Counter,
    /// <summary>A number between 0 and 1: <c>value</c> (and <c>rate</c>, the same number).</summary>
    Ratio,
    /// <summary>A distribution of durations in milliseconds: <c>p(N)</c>, <c>avg</c>, <c>min</c>, <c>max</c>, <c>med</c>, <c>count</c>.</summary>
    Trend,
    /// <summary>A single measured number (for example a target's memory growth): <c>value</c>.</summary>
    Gauge,
}

/// <summary>
/// Every metric name SimCluster reports, in one place (as k6 does). Names are part of the external
/// contract (CONTRACT.md section 3): add, never rename.
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
    /// <summary>Connections the tool dropped on purpose (flapping, switching).</summary>
    public const string ForcedDrops = "forced_drops";
    /// <summary>Forced drops followed by a successful reopen before the run ended.</summary>
    public const string Reconnects = "reconnects";
    /// <summary>From the moment the network came back (end of a forced outage) to the next open connection.</summary>
    public const string RecoveryTime = "recovery_time";
    /// <summary>Reconnected / forced drops: did every client that lost its connection get it back.</summary>
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

    // The client side at the edges of a run (issue 17): offered load, the drain, session books, restores.
    /// <summary>Sends the open-loop schedule asked for: every slot from the client's start to the run's planned end.</summary>
    public const string MessagesPlanned = "messages_planned";
    /// <summary>Messages still inside their <c>lossTimeout</c> when the stop grace ended, on a connection that was still open.</summary>
    public const string MessagesUnresolved = "messages_unresolved";
    /// <summary>Echoes that arrived after their message had been counted lost (after <c>lossTimeout</c>).</summary>
    public const string MessagesLate = "messages_late";
    /// <summary>Actual minus planned send instant of every message sent (the tool's own lateness, CPU starvation shows here).</summary>
    public const string SendLag = "send_lag";
    /// <summary>Connections lost that the client then tried to restore (at least one reconnect attempt): the denominator of reconnect_success_ratio.</summary>
    public const string RestoresAttempted = "restores_attempted";
    /// <summary>Session frames the client could not use (a number out of range, a sequence far beyond any sent): ignored, the connection kept.</summary>
    public const string SessionProtocolErrors = "session_protocol_errors";
    /// <summary>Server sequence gaps the client stopped waiting for because too many were open at once (each gap's messages counted lost then).</summary>
    public const string SessionGapsAbandoned = "session_gaps_abandoned";
    /// <summary>Connections the client ended because the server answered no PING within <c>heartbeat.timeout</c>.</summary>
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

    /// <summary>Every metric with its kind; the report lists all of them, zero when nothing happened.</summary>
    public static readonly IReadOnlyDictionary<string, MetricKind> All = new Dictionary<string, MetricKind>
    {
        [Connects] = MetricKind.Counter,
        [ConnectFailures] = MetricKind.Counter,
        [ConnectTime] = MetricKind.Trend,
        [ConnectSuccessRatio] = MetricKind.Ratio,
        [Disconnects] = MetricKind.Counter,
        [ReconnectTime] = MetricKind.Trend,
        [MessagesSent] = MetricKind.Counter,
        [MessagesReceived] = MetricKind.Counter,
        [MessageRtt] = MetricKind.Trend,
        [MessagesLost] = MetricKind.Counter,
        [MessagesInterrupted] = MetricKind.Counter,
        [MessagesDuplicated] = MetricKind.Counter,
        [MessagesReordered] = MetricKind.Counter,
        [HeartbeatRtt] = MetricKind.Trend,
        [FalseDisconnects] = MetricKind.Counter,
        [ForcedDrops] = MetricKind.Counter,
        [Reconnects] = MetricKind.Counter,
        [RecoveryTime] = MetricKind.Trend,
        [ReconnectSuccessRatio] = MetricKind.Ratio,
        [ReconnectGiveUps] = MetricKind.Counter,
        [DeadConnectionHoldTime] = MetricKind.Trend,
        [Zombies] = MetricKind.Counter,
        [ZombiesDetected] = MetricKind.Counter,
        [ZombieDetectionRatio] = MetricKind.Ratio,
        [ZombieDetectTime] = MetricKind.Trend,
        [ZombiesWithinBound] = MetricKind.Counter,
        [ZombiesUndetected] = MetricKind.Counter,
        [MessagesReplayed] = MetricKind.Counter,
        [SessionsForgotten] = MetricKind.Counter,
        [Switches] = MetricKind.Counter,
        [SwitchResumeTime] = MetricKind.Trend,
        [TokenRefreshes] = MetricKind.Counter,
        [TokenRefreshFailures] = MetricKind.Counter,
        [TokenRefreshTime] = MetricKind.Trend,
        [AuthRejections] = MetricKind.Counter,
        [ExpiredCloses] = MetricKind.Counter,
        [TokenOverstay] = MetricKind.Trend,
        [TokensOutlived] = MetricKind.Counter,
        [ExpiredClosesEarly] = MetricKind.Counter,
        [TokenReplaysAccepted] = MetricKind.Counter,
        [TokenFetchTime] = MetricKind.Trend,
        [TokenFetchFailures] = MetricKind.Counter,
        [MalformedCases] = MetricKind.Counter,
        [MalformedCasesFailed] = MetricKind.Counter,
        [MalformedServerDown] = MetricKind.Counter,
        [MessagesPlanned] = MetricKind.Counter,
        [MessagesUnresolved] = MetricKind.Counter,
        [MessagesLate] = MetricKind.Counter,
        [SendLag] = MetricKind.Trend,
        [RestoresAttempted] = MetricKind.Counter,
        [SessionProtocolErrors] = MetricKind.Counter,
        [SessionGapsAbandoned] = MetricKind.Counter,
        [HeartbeatTimeouts] = MetricKind.Counter,
        [ZombiesUnobserved] = MetricKind.Counter,
        [TargetRssGrowthMb] = MetricKind.Gauge,
        [TargetHeapGrowthMb] = MetricKind.Gauge,
        [TargetOpenAfterRun] = MetricKind.Gauge,
    };
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
    /// <c>server:reset</c> (RST), <c>server:eof</c> (FIN without a close handshake), <c>server:error</c> (any other socket error).
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
