using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Metrics;

/// <summary>
/// What each counter and trend of <see cref="MetricNames"/> counts, in a line, and its unit: the description and
/// unit of its OpenTelemetry instrument (Prometheus HELP and the Grafana dashboard show them).
/// </summary>
public static class MetricDescriptions
{
    private static readonly Dictionary<string, (string Unit, string Text)> Table = new()
    {
        [MetricNames.Connects] = ("{connection}", "Connections opened (WebSocket upgrade completed)"),
        [MetricNames.ConnectFailures] = ("{attempt}", "Connection attempts that failed (refused, timeout, HTTP status, TLS, ...)"),
        [MetricNames.ConnectTime] = ("s", "TCP connect plus WebSocket upgrade of each opened connection"),
        [MetricNames.Disconnects] = ("{connection}", "Open connections lost before the run ended (forced, switched, by the server, by the tool)"),
        [MetricNames.ReconnectTime] = ("s", "From losing a connection to the next open one (includes the outage itself)"),
        [MetricNames.MessagesSent] = ("{message}", "Application messages sent"),
        [MetricNames.MessagesReceived] = ("{message}", "Replies (echoes) received for sent messages"),
        [MetricNames.MessageRtt] = ("s", "Round trip of a message: send to its echo"),
        [MetricNames.MessagesLost] = ("{message}", "Messages whose echo never came within lossTimeout although the connection stayed open (session protocol: never delivered)"),
        [MetricNames.MessagesInterrupted] = ("{message}", "Messages whose connection closed before their echo came back"),
        [MetricNames.MessagesDuplicated] = ("{message}", "Replies received more than once"),
        [MetricNames.MessagesReordered] = ("{message}", "Replies received out of order"),
        [MetricNames.HeartbeatRtt] = ("s", "Client PING to the server's PONG"),
        [MetricNames.FalseDisconnects] = ("{connection}", "Server-initiated closes of clients that behaved well"),
        [MetricNames.ForcedDrops] = ("{connection}", "Connections the tool dropped on purpose (flapping, switching)"),
        [MetricNames.Reconnects] = ("{connection}", "Forced drops followed by a successful reopen"),
        [MetricNames.RecoveryTime] = ("s", "From the network coming back to the next open connection"),
        [MetricNames.DeadConnectionHoldTime] = ("s", "How long the server held a connection whose client was gone"),
        [MetricNames.ReconnectGiveUps] = ("{client}", "Clients that gave up after reconnect.maxAttempts"),
        [MetricNames.Zombies] = ("{connection}", "Zombie episodes started"),
        [MetricNames.ZombiesDetected] = ("{connection}", "Zombies the server gave up on (evicted)"),
        [MetricNames.ZombieDetectTime] = ("s", "From a zombie episode's start to the server giving up on it"),
        [MetricNames.ZombiesWithinBound] = ("{connection}", "Zombies evicted within expectDetectWithin"),
        [MetricNames.ZombiesUndetected] = ("{connection}", "Zombies the server still held when observeFor ran out"),
        [MetricNames.MessagesReplayed] = ("{message}", "Client messages sent again after a reconnect (session protocol)"),
        [MetricNames.SessionsForgotten] = ("{session}", "Reconnects whose welcome said the server no longer knew the session"),
        [MetricNames.Switches] = ("{switch}", "Network interface switches"),
        [MetricNames.SwitchResumeTime] = ("s", "From a network switch to the session being whole again"),
        [MetricNames.TokenRefreshes] = ("{refresh}", "Token refreshes the server confirmed"),
        [MetricNames.TokenRefreshFailures] = ("{refresh}", "Token refreshes that failed or were rejected"),
        [MetricNames.TokenRefreshTime] = ("s", "From sending a refresh to the server's confirmation"),
        [MetricNames.AuthRejections] = ("{attempt}", "Upgrades refused for the token (HTTP 401/403)"),
        [MetricNames.ExpiredCloses] = ("{connection}", "Server closes for an expired token (4001)"),
        [MetricNames.TokenOverstay] = ("s", "How long a connection stayed open after its token expired"),
        [MetricNames.TokensOutlived] = ("{connection}", "Connections still open after their token expired"),
        [MetricNames.ExpiredClosesEarly] = ("{connection}", "Expiry closes that came before the token's exp by the client's clock"),
        [MetricNames.TokenReplaysAccepted] = ("{token}", "Previous tokens offered again after a refresh and accepted by the server"),
        [MetricNames.TokenFetchTime] = ("s", "Time to obtain a token (minting, or the token endpoint's answer)"),
        [MetricNames.TokenFetchFailures] = ("{request}", "Token requests that failed"),
        [MetricNames.MalformedCases] = ("{case}", "Malformed cases attackers ran"),
        [MetricNames.MalformedCasesFailed] = ("{case}", "Malformed case runs graded worse than NON-STRICT"),
        [MetricNames.MalformedServerDown] = ("{event}", "Times the server stopped accepting connections right after a malformed case"),
        [MetricNames.SendLag] = ("s", "Actual minus planned send instant of each message (the tool's own lateness)"),
    };

    /// <summary>The instrument description; a metric missing from the table says so rather than staying silent.</summary>
    public static string Of(string metric) => Table.TryGetValue(metric, out var d) ? d.Text : $"SimCluster metric {metric}";

    /// <summary>UCUM-style unit: <c>s</c> for trends (exported in seconds), <c>{thing}</c> for counts.</summary>
    public static string UnitOf(string metric) => Table.TryGetValue(metric, out var d) ? d.Unit : "{event}";

    /// <summary>Counters and trends without an entry (a test keeps this empty).</summary>
    public static IEnumerable<string> Missing() =>
        MetricNames.All.Where(m => m.Value is MetricKind.Counter or MetricKind.Trend && !Table.ContainsKey(m.Key)).Select(m => m.Key);
}
