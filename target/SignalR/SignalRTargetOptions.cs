namespace SimCluster.Target;

/// <summary>
/// The reference target's SignalR hub (ASP.NET Core's own SignalR): where it is mapped, its keep-alive and client
/// timeout, stateful reconnect, and the pusher. Tokens are checked with the target's own auth settings
/// (<see cref="TargetOptions.AuthAlgorithm"/>, <see cref="TargetOptions.AuthKey"/>); with them, the hub closes a
/// connection when its token expires unless <see cref="TargetOptions.AuthEnforceExpiry"/> is false.
/// </summary>
public sealed record SignalRTargetOptions
{
    /// <summary>Hub path; negotiate is at PATH/negotiate.</summary>
    public string Path { get; init; } = "/hub";

    /// <summary>The hub sends a ping (type 6) when it has sent nothing for this long (HubOptions.KeepAliveInterval).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A client that has sent nothing (no ping, no invocation) for this long is dropped (HubOptions.ClientTimeoutInterval).
    /// SignalR's own 30 s by default, so a client with the .NET client's 15 s pings is never evicted; zombie
    /// scenarios shorten it (clients must then ping at least every half of it).
    /// </summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each connected client gets a <c>push</c> invocation with <c>{seq, ts}</c> this often; zero = no pushes.</summary>
    public TimeSpan PushInterval { get; init; }

    /// <summary>
    /// Pushes each connection gets at most (seq 1..this); 0 = no limit. With a limit the pushes end before the clients
    /// stop, so every push the hub sent has arrived when the books are compared.
    /// </summary>
    public long PushCount { get; init; }

    /// <summary>Whether clients may use stateful reconnect (HttpConnectionDispatcherOptions.AllowStatefulReconnects).</summary>
    public bool StatefulReconnect { get; init; } = true;

    /// <summary>Bytes of unacknowledged messages the hub keeps per connection for replay (HubOptions.StatefulReconnectBufferSize); past it, its sends wait for an ack.</summary>
    public long StatefulReconnectBufferSize { get; init; } = 100_000;

    /// <summary>How long a connection whose transport dropped waits for a stateful reconnect (ConnectionOptions.DisconnectTimeout).</summary>
    public TimeSpan ReconnectWindow { get; init; } = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    internal void Validate(List<string> errors, string webSocketPath, IReadOnlyCollection<string> reservedPaths)
    {
        if (string.IsNullOrEmpty(Path) || Path[0] != '/' || Path.Length < 2)
        {
            errors.Add("--signalr-path: must start with '/' and name a path");
        }
        else if (Path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#'))
        {
            errors.Add("--signalr-path: must not contain whitespace, '?' or '#'");
        }
        else if (reservedPaths.Contains(Path.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"--signalr-path: '{Path}' is reserved for the target's HTTP endpoints");
        }
        else if (string.Equals(Path.TrimEnd('/'), webSocketPath.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"--signalr-path: '{Path}' is the WebSocket endpoint's path (--path)");
        }

        Positive(errors, "--signalr-keep-alive", KeepAliveInterval);
        Positive(errors, "--signalr-client-timeout", ClientTimeout);
        if (PushInterval < TimeSpan.Zero || PushInterval > MaxDuration)
        {
            errors.Add("--signalr-push-interval: must be 0 (no pushes) to 24h");
        }

        if (PushCount < 0)
        {
            errors.Add("--signalr-push-count: must be 0 (no limit) or more");
        }

        if (StatefulReconnectBufferSize is < 1 or > 1L << 30)
        {
            errors.Add("--signalr-stateful-buffer: must be 1..1073741824 bytes");
        }

        Positive(errors, "--signalr-reconnect-window", ReconnectWindow);
    }

    private static void Positive(List<string> errors, string flag, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > MaxDuration)
        {
            errors.Add($"{flag}: must be above 0s and at most 24h");
        }
    }
}
