using System.Globalization;
using System.Text;

namespace SimCluster.Target;

/// <summary>Prometheus text exposition (format 0.0.4) of a stats snapshot, for scraping the target during a run.</summary>
internal static class PrometheusWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    private const string Prefix = "simcluster_target_";

    public static string Write(TargetStatsSnapshot s)
    {
        var sb = new StringBuilder(4096);

        Metric(sb, "open_connections", "gauge", "Open WebSocket connections.", s.OpenConnections);
        Metric(sb, "upgrades_total", "counter", "Accepted WebSocket handshakes.", s.Upgrades);
        Metric(sb, "rejected_handshakes_total", "counter", "Rejected WebSocket handshakes.", s.RejectedHandshakes);
        Metric(sb, "messages_in_total", "counter", "WebSocket messages received.", s.MessagesIn);
        Metric(sb, "messages_out_total", "counter", "WebSocket messages sent.", s.MessagesOut);
        Metric(sb, "bytes_in_total", "counter", "Payload bytes received.", s.BytesIn);
        Metric(sb, "bytes_out_total", "counter", "Payload bytes sent.", s.BytesOut);

        Header(sb, "closes_total", "counter", "Connection closes by close code (or abort:* key) and the side that started the close.");
        foreach (var (code, n) in s.Closes.ServerInitiated.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Sample(sb, "closes_total", $"code=\"{Escape(code)}\",initiator=\"server\"", n);
        }

        foreach (var (code, n) in s.Closes.ClientInitiated.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Sample(sb, "closes_total", $"code=\"{Escape(code)}\",initiator=\"client\"", n);
        }

        Metric(sb, "aborted_total", "counter", "Connections that ended without a close handshake.", s.Closes.Aborted);

        Metric(sb, "sessions_active", "gauge", "Session-protocol sessions with a live connection.", s.Sessions.Active);
        Metric(sb, "sessions_resumed_total", "counter", "Session resumptions.", s.Sessions.Resumed);
        Metric(sb, "sessions_expired_total", "counter", "Sessions dropped after their resume window.", s.Sessions.Expired);
        Metric(sb, "sessions_superseded_total", "counter", "Connections replaced by a newer connection of the same session.", s.Sessions.Superseded);
        Metric(sb, "session_replayed_messages_total", "counter", "Server messages replayed after a resume.", s.Sessions.ReplayedMessages);
        Metric(sb, "session_duplicates_dropped_total", "counter", "Client messages dropped as duplicates.", s.Sessions.DuplicatesDropped);
        Metric(sb, "session_buffer_overflows_total", "counter", "Unacknowledged server messages dropped because a session buffer was full.", s.Sessions.SessionBufferOverflows);

        var hub = s.SignalR;
        Metric(sb, "signalr_connections_total", "counter", "SignalR hub connections (OnConnectedAsync).", hub.Connections);
        Metric(sb, "signalr_open_connections", "gauge", "SignalR hub connections open now.", hub.Open);
        Header(sb, "signalr_disconnects_total", "counter", "SignalR hub disconnects (OnDisconnectedAsync) by cause.");
        foreach (var (cause, n) in hub.Disconnects.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Sample(sb, "signalr_disconnects_total", $"cause=\"{Escape(cause)}\"", n);
        }

        Metric(sb, "signalr_invocations_received_total", "counter", "Invocation messages received by the hub (unknown methods included).", hub.InvocationsReceived);
        Metric(sb, "signalr_invocations_total", "counter", "Invocations that reached a hub method.", hub.Invocations);
        Metric(sb, "signalr_completions_total", "counter", "Completion messages the hub sent.", hub.Completions);
        Metric(sb, "signalr_completion_errors_total", "counter", "Completion messages with an error.", hub.CompletionErrors);
        Metric(sb, "signalr_evictions_total", "counter", "Hub connections dropped by ClientTimeoutInterval.", hub.Evictions);
        Metric(sb, "signalr_stateful_reconnects_total", "counter", "Stateful reconnects the hub accepted.", hub.StatefulReconnects);
        Metric(sb, "signalr_pushes_sent_total", "counter", "Push invocations handed to hub connections.", hub.PushesSent);
        Metric(sb, "signalr_pushes_not_sent_total", "counter", "Pushes skipped because the connection's previous one was still held (full stateful buffer, slow socket).", hub.PushesNotSent);
        Metric(sb, "signalr_push_gaps_total", "counter", "Pushes not sent that a later push to the same connection went out after: the gaps its client sees.", hub.PushGaps);
        Metric(sb, "signalr_expired_closes_total", "counter", "Hub connections closed at token expiry.", hub.ExpiredCloses);
        Metric(sb, "signalr_unauthorized_total", "counter", "Hub requests answered 401.", hub.Unauthorized);

        Metric(sb, "process_resident_memory_bytes", "gauge", "Resident set size of the target process.", s.Process.RssBytes);
        Metric(sb, "managed_heap_bytes", "gauge", "Managed heap size (GC.GetTotalMemory).", s.Process.ManagedHeapBytes);
        Metric(sb, "uptime_seconds", "gauge", "Seconds since the target started.", s.UptimeSeconds);

        return sb.ToString();
    }

    private static void Metric(StringBuilder sb, string name, string type, string help, double value)
    {
        Header(sb, name, type, help);
        Sample(sb, name, null, value);
    }

    private static void Header(StringBuilder sb, string name, string type, string help)
    {
        sb.Append("# HELP ").Append(Prefix).Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder sb, string name, string? labels, double value)
    {
        sb.Append(Prefix).Append(name);
        if (labels is not null)
        {
            sb.Append('{').Append(labels).Append('}');
        }

        sb.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string Escape(string label) =>
        label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
