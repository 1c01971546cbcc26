namespace SimCluster.Scenarios;

/// <summary>Tokens for the target: minted locally (<see cref="Jwt"/>) or fetched from <see cref="TokenUrl"/>; exactly one is set.</summary>
public sealed record AuthSpec
{
    public JwtSpec? Jwt { get; init; }
    /// <summary>An http(s) URL answering <c>{access_token, expires_in}</c>.</summary>
    public string? TokenUrl { get; init; }
    public TokenSend Send { get; init; } = TokenSend.Query;
    public RefreshSpec Refresh { get; init; } = new();
}

/// <summary>
/// A locally signed JWT. The secret never sits in the scenario file (files get committed and shared):
/// it comes from an environment variable or a file, exactly one of the two.
/// </summary>
public sealed record JwtSpec
{
    public string? SecretEnv { get; init; }
    /// <summary>As written in the scenario; a relative path is the consumer's to resolve.</summary>
    public string? SecretFile { get; init; }
    /// <summary>HS256, HS384 or HS512 (symmetric: the secret is shared with the target).</summary>
    public string Algorithm { get; init; } = "HS256";
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Query: <c>?token=</c>. Header: <c>Authorization: Bearer</c>.</summary>
public enum TokenSend { Query, Header }

public sealed record RefreshSpec
{
    public RefreshMode Mode { get; init; } = RefreshMode.InBand;
    /// <summary>How long before expiry the client refreshes.</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>In the file: <c>in-band</c> (auth.refresh frame), <c>reconnect</c> (new connection with a new token), <c>none</c>.</summary>
public enum RefreshMode { InBand, Reconnect, None }
