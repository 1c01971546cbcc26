using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>Tokens for the target: minted locally (<see cref="Jwt"/>) or fetched from <see cref="TokenUrl"/>; exactly one is set.</summary>
public sealed record AuthSpec
{
    public JwtSpec? Jwt { get; init; }
    /// <summary>An http(s) URL answering <c>{access_token, expires_in}</c>.</summary>
    public string? TokenUrl { get; init; }
    public TokenPlacement Send { get; init; } = TokenPlacement.Query;
    public RefreshSpec Refresh { get; init; } = new();
    /// <summary>Bound on one request to <see cref="TokenUrl"/>.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(5);
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
    /// <summary>A random key made for this one run (handed to the embedded target); needs the in-process silo.</summary>
    public bool GenerateKey { get; init; }
    /// <summary>HS256/384/512 (shared secret) or RS256/384/512 (PEM RSA private key; the target gets the public key).</summary>
    public string Algorithm { get; init; } = "HS256";
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Failure injection: share of tokens signed with a key the target does not know (0..1).</summary>
    public decimal BadSignature { get; init; }
    /// <summary>Failure injection: the client's clock runs this far ahead of the real one.</summary>
    public TimeSpan ClockAhead { get; init; }
    /// <summary>Failure injection: the client's clock runs this far behind the real one.</summary>
    public TimeSpan ClockBehind { get; init; }
    /// <summary>Failure injection: every token expires on the same instants (a refresh storm).</summary>
    public bool AlignExpiry { get; init; }
    /// <summary>Where the key source (secretEnv, secretFile or generateKey) is written, for run-time errors about the key.</summary>
    public (string Key, int Line, int Column) KeyPosition { get; init; }
}

public sealed record RefreshSpec
{
    public RefreshMode Mode { get; init; } = RefreshMode.InBand;
    /// <summary>How long before expiry the client refreshes.</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Failure injection: refresh this long after expiry instead of before it.</summary>
    public TimeSpan? Late { get; init; }
    /// <summary>How long the client waits for auth.refreshed / auth.rejected.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Failure injection: after each refresh, offer the previous token again.</summary>
    public bool ReplayOld { get; init; }
    /// <summary>In-band refresh for other servers: the text frame to send, <c>{token}</c> standing for the token.</summary>
    public string? Message { get; init; }
    /// <summary>With <see cref="Message"/>: the text of the server's acknowledgement (a frame containing it).</summary>
    public string? Expect { get; init; }
    /// <summary>With <see cref="Message"/>: the text of the server's refusal (optional).</summary>
    public string? Reject { get; init; }
}
