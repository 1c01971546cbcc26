using System.Collections.Concurrent;

namespace SimCluster.Target;

/// <summary>Open connections, so shutdown can close each one with 1001 and wait for them (bounded).</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, Connection> _open = new();
    private long _nextId;

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(Connection connection) => _open[connection.Id] = connection;

    public void Remove(Connection connection) => _open.TryRemove(connection.Id, out _);

    /// <summary>Asks every open connection to close; returns once all are gone or <paramref name="timeout"/> passes.</summary>
    public async Task CloseAllAsync(int code, string reason, TimeSpan timeout)
    {
        // Fire all closes at once: one slow client must not delay the others.
        foreach (var (_, connection) in _open)
        {
            _ = RequestCloseAsync(connection, code, reason);
        }

        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!_open.IsEmpty && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private static async Task RequestCloseAsync(Connection connection, int code, string reason)
    {
        try
        {
            if (connection.Handler is { } handler)
            {
                await handler.RequestCloseAsync(connection, code, reason).ConfigureAwait(false);
            }
            else
            {
                await connection.CloseAsync(code, reason).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Shutdown carries on; AbortAll covers this connection.
        }
    }

    /// <summary>Last resort at shutdown for clients that never answered the Close frame.</summary>
    public void AbortAll()
    {
        foreach (var (_, connection) in _open)
        {
            connection.Abort(TargetStats.AbortShutdown);
        }
    }
}
