namespace SimCluster.Grains.Clients;

/// <summary>
/// <c>heartbeat.timeout</c>: a PING not answered within the timeout means the server stopped answering, and
/// the client gives up on the connection (<see cref="Expired"/>). Armed by a PING when none is outstanding,
/// cleared by any answer. Zero timeout: never expires.
/// </summary>
public sealed class PongDeadline(TimeProvider time, TimeSpan timeout, Action expired) : IDisposable
{
    private readonly object _gate = new();
    private ITimer? _timer;
    private bool _disposed;

    public void PingSent()
    {
        if (timeout <= TimeSpan.Zero) return;
        lock (_gate)
        {
            if (_disposed || _timer is not null) return; // the oldest unanswered PING sets the deadline
            _timer = time.CreateTimer(_ => Expire(), null, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    public void Answered()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Expire()
    {
        lock (_gate)
        {
            if (_disposed || _timer is null) return;
            _timer.Dispose();
            _timer = null;
            _disposed = true;
        }
        expired();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
