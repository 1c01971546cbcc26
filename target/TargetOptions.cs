using System.Net;

namespace SimCluster.Target;

/// <summary>Settings of the reference target. Error messages name the CLI flag so `simcluster target` can print them as is.</summary>
public sealed record TargetOptions
{
    /// <summary>Bind address: an IP literal or "localhost". A non-loopback address needs <see cref="AllowNonLoopback"/>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Opt-in for binding to a non-loopback address (the target is a test tool, not a hardened server).</summary>
    public bool AllowNonLoopback { get; init; }

    /// <summary>TCP port; 0 picks a free port (read it back from <see cref="ReferenceTarget.WebSocketUri"/>).</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Path of the WebSocket endpoint.</summary>
    public string Path { get; init; } = "/ws";

    /// <summary>Interval of server WebSocket PINGs (keep-alive); zero turns them off.</summary>
    public TimeSpan HeartbeatInterval { get; init; }

    /// <summary>How long to wait for the PONG before aborting the connection; zero turns the timeout off.</summary>
    public TimeSpan HeartbeatTimeout { get; init; }

    /// <summary>Largest accepted message in bytes (all frames of a message together); larger ones get close 1009.</summary>
    public int MaxMessageSize { get; init; } = 1 << 20;

    /// <summary>Most fragments one message may have; more close the connection with 1008. 0 = no limit.</summary>
    public int MaxFragments { get; init; } = 1024;

    /// <summary>Most client PINGs per second on one connection; more close it with 1008 (a PING flood). 0 = no limit.</summary>
    public int MaxPingsPerSecond { get; init; } = 100;

    /// <summary>How long a connection may take to send its upgrade request (and may stay silent before it); then it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Delay before each echo (echo protocol and session-protocol echoes).</summary>
    public TimeSpan EchoDelay { get; init; }

    /// <summary>Session protocol: how long a disconnected session is kept for resumption.</summary>
    public TimeSpan SessionResumeWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Session protocol: most unacknowledged server messages buffered per session (oldest dropped first).</summary>
    public int SessionBufferLimit { get; init; } = 10_000;

    /// <summary>Session protocol: server-originated messages per second per session; 0 = none.</summary>
    public double PushRate { get; init; }

    /// <summary>JWT algorithm the target checks tokens with (HS256/384/512, RS256/384/512); null = no token check.</summary>
    public string? AuthAlgorithm { get; init; }

    /// <summary>The verification key: the shared secret (HS*) or a PEM public key (RS*). Never printed.</summary>
    public string? AuthKey { get; init; }

    /// <summary>How far past exp (and before nbf) a token is still accepted; also the grace before the 4001 close.</summary>
    public TimeSpan AuthClockSkew { get; init; }

    /// <summary>Close a connection with 4001 when its token expires (plus skew); false = check tokens only on upgrade and refresh.</summary>
    public bool AuthEnforceExpiry { get; init; } = true;

    /// <summary>The SignalR hub (always served, beside the WebSocket endpoint).</summary>
    public SignalRTargetOptions SignalR { get; init; } = new();

    public override string ToString() => $"TargetOptions {{ Host = {Host}, Port = {Port}, Path = {Path}, AuthAlgorithm = {AuthAlgorithm}, AuthKey = {(AuthKey is null ? "none" : "(hidden)")} }}";

    internal static readonly string[] AuthAlgorithms = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"];

    internal const int MaxMessageSizeLimit = 1 << 30;
    internal const double MaxPushRate = 10_000;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);
    private static readonly string[] ReservedPaths = ["/stats", "/metrics", "/health"];

    /// <summary>Every problem at once, one line each, prefixed with the CLI flag it concerns. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(Host))
        {
            errors.Add("--host: must not be empty");
        }
        else if (!TryParseHost(Host, out var address))
        {
            errors.Add($"--host: '{Host}' is not an IP address or 'localhost'");
        }
        else if (!IPAddress.IsLoopback(address) && !AllowNonLoopback)
        {
            errors.Add($"--host: '{Host}' is not a loopback address; pass --allow-non-loopback to expose the target");
        }

        if (Port is < 0 or > 65535)
        {
            errors.Add("--port: must be 0..65535");
        }

        if (string.IsNullOrEmpty(Path) || Path[0] != '/')
        {
            errors.Add("--path: must start with '/'");
        }
        else if (Path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#'))
        {
            errors.Add("--path: must not contain whitespace, '?' or '#'");
        }
        else if (ReservedPaths.Contains(Path.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"--path: '{Path}' is reserved for the target's HTTP endpoints");
        }

        SignalR.Validate(errors, Path ?? "", ReservedPaths);

        CheckDuration(errors, "--heartbeat-interval", HeartbeatInterval);
        CheckDuration(errors, "--heartbeat-timeout", HeartbeatTimeout);
        if (HeartbeatTimeout > TimeSpan.Zero && HeartbeatInterval <= TimeSpan.Zero)
        {
            errors.Add("--heartbeat-timeout: needs --heartbeat-interval > 0 (the timeout waits for the PONG of a PING)");
        }

        if (MaxMessageSize is < 1 or > MaxMessageSizeLimit)
        {
            errors.Add($"--max-message-size: must be 1..{MaxMessageSizeLimit} bytes");
        }

        if (MaxFragments < 0)
        {
            errors.Add("--max-fragments: must be 0 (no limit) or more");
        }

        if (MaxPingsPerSecond < 0)
        {
            errors.Add("--max-pings-per-second: must be 0 (no limit) or more");
        }

        if (HandshakeTimeout < TimeSpan.FromMilliseconds(100) || HandshakeTimeout > MaxDuration)
        {
            errors.Add("--handshake-timeout: must be 100ms..24h");
        }

        CheckDuration(errors, "--echo-delay", EchoDelay);
        CheckDuration(errors, "--resume-window", SessionResumeWindow);

        if (SessionBufferLimit is < 0 or > 10_000_000)
        {
            errors.Add("--session-buffer-limit: must be 0..10000000");
        }

        if (double.IsNaN(PushRate) || PushRate < 0 || PushRate > MaxPushRate)
        {
            errors.Add($"--push-rate: must be 0..{MaxPushRate} messages per second");
        }

        CheckDuration(errors, "--auth-clock-skew", AuthClockSkew);
        if (AuthAlgorithm is not null && !AuthAlgorithms.Contains(AuthAlgorithm))
        {
            errors.Add($"--auth-algorithm: '{AuthAlgorithm}' is not one of {string.Join(", ", AuthAlgorithms)}");
        }
        else if (AuthAlgorithm is not null && string.IsNullOrEmpty(AuthKey))
        {
            errors.Add("--auth-key-env/--auth-key-file: --auth-algorithm needs a verification key");
        }
        else if (AuthAlgorithm is not null && AuthKeyProblem(AuthAlgorithm, AuthKey!) is { } problem)
        {
            errors.Add($"--auth-key-env/--auth-key-file: {problem}");
        }

        return errors;
    }

    /// <summary>Why the key cannot verify <paramref name="algorithm"/> tokens (without showing the key), or null.</summary>
    private static string? AuthKeyProblem(string algorithm, string key)
    {
        if (algorithm.StartsWith("RS", StringComparison.Ordinal))
        {
            try
            {
                using var rsa = System.Security.Cryptography.RSA.Create();
                rsa.ImportFromPem(key);
                return null;
            }
            catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                return $"{algorithm} needs a PEM RSA public (or private) key";
            }
        }

        return System.Text.Encoding.UTF8.GetByteCount(key.TrimEnd('\r', '\n')) < 32 ? $"{algorithm} needs a secret of at least 32 bytes" : null;
    }

    private static void CheckDuration(List<string> errors, string flag, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            errors.Add($"{flag}: must not be negative");
        }
        else if (value > MaxDuration)
        {
            errors.Add($"{flag}: must be at most 24h");
        }
    }

    /// <summary>"localhost" maps to 127.0.0.1 so the target never binds to a name that may resolve elsewhere.</summary>
    internal static bool TryParseHost(string host, out IPAddress address)
    {
        var trimmed = host.Trim();
        if (string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
            return true;
        }

        if (trimmed is "*" or "+")
        {
            address = IPAddress.IPv6Any;
            return true;
        }

        if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
        {
            trimmed = trimmed[1..^1];
        }

        if (IPAddress.TryParse(trimmed, out var parsed))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }
}
