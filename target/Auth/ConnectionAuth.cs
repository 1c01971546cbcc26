namespace SimCluster.Target;

/// <summary>
/// The token state of one authenticated connection: its subject, the expiry the server holds, and the timer
/// that closes the connection with 4001 at expiry plus the clock skew (when expiry is enforced). A refresh
/// moves the expiry forward; only a token newer than the current one is taken (no replay of an old one).
/// </summary>
internal sealed class ConnectionAuth : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _skew;
    private readonly bool _enforce;
    private readonly Action _onExpired;
    private ITimer? _timer;

    public ConnectionAuth(VerifiedToken token, TimeSpan skew, bool enforce, Action onExpired)
    {
        Subject = token.Subject;
        ExpiresAt = token.ExpiresAt;
        _skew = skew;
        _enforce = enforce;
        _onExpired = onExpired;
        Arm();
    }

    public string? Subject { get; }

    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>Takes a refreshed token; null when accepted, else the reason for auth.rejected.</summary>
    public string? TryRefresh(VerifiedToken token)
    {
        lock (_gate)
        {
            if (!string.Equals(token.Subject, Subject, StringComparison.Ordinal))
            {
                return "subject mismatch";
            }

            if (token.ExpiresAt <= ExpiresAt)
            {
                return "stale token";
            }

            ExpiresAt = token.ExpiresAt;
            Arm();
            return null;
        }
    }

    private void Arm()
    {
        _timer?.Dispose();
        _timer = null;
        if (!_enforce)
        {
            return;
        }

        var due = ExpiresAt + _skew - DateTimeOffset.UtcNow;
        _timer = TimeProvider.System.CreateTimer(_ => _onExpired(), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
