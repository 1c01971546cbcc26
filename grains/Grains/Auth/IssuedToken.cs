namespace SimCluster.Grains.Auth;

/// <summary>
/// A token as the client holds it. <see cref="ExpiresAt"/> is on the client's own clock (which a clock-skew
/// injection moves away from the real one). ToString never shows the token: it must not reach a log.
/// </summary>
public sealed record IssuedToken(string Value, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"token (expires {ExpiresAt:O})";
}

/// <summary>No token could be obtained (the token endpoint failed or timed out, or the key is unusable).</summary>
public sealed class TokenUnavailableException(string label, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Short label for connect errors, e.g. <c>token-endpoint</c>.</summary>
    public string Label { get; } = label;
}
