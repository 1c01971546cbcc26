using System.Collections.Concurrent;

namespace SimCluster.Target;

/// <summary>
/// All sessions of one target, and the single timer that drives pushes and resume-window expiry for every
/// session (one timer per session would cost a timer queue entry and a callback per session per tick).
/// </summary>
internal sealed class SessionStore : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly TargetStats _stats;
    private readonly int _bufferLimit;
    private readonly long _windowMs;
    private readonly double _pushRate;
    private readonly TimeSpan _tick;
    private readonly long _sweepEveryMs;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _timerLoop;

    public SessionStore(TargetOptions options, TargetStats stats, IEnumerable<ISessionExtension> extensions)
    {
        _stats = stats;
        _bufferLimit = options.SessionBufferLimit;
        _windowMs = (long)options.SessionResumeWindow.TotalMilliseconds;
        _pushRate = options.PushRate;
        Extensions = extensions.ToDictionary(e => e.Type, StringComparer.Ordinal);

        // Sweep often enough that a session outlives its window by at most a quarter of it (or 1 s).
        _sweepEveryMs = Math.Clamp(_windowMs / 4, 20, 1000);
        var tickMs = _pushRate > 0 ? Math.Clamp(1000 / _pushRate, 10, 100) : 1000;
        _tick = TimeSpan.FromMilliseconds(Math.Min(tickMs, _sweepEveryMs));
        _timerLoop = Task.Run(RunTimerAsync);
    }

    /// <summary>Handlers for frame types beyond the core protocol (e.g. "auth.refresh"), by type.</summary>
    public IReadOnlyDictionary<string, ISessionExtension> Extensions { get; }

    /// <summary>
    /// Attaches a connection to session <paramref name="id"/>, resuming it if it is still kept. Queues the welcome
    /// and the replay on <paramref name="handler"/>, and closes a connection it supersedes.
    /// </summary>
    public Session Attach(SessionProtocolHandler handler, string id, long clientLastSeq)
    {
        while (true)
        {
            var now = Environment.TickCount64;
            if (_sessions.TryGetValue(id, out var existing))
            {
                if (existing.TryAttach(handler, clientLastSeq, now, _windowMs, out var superseded))
                {
                    Interlocked.Increment(ref _stats.SessionsResumed);
                    superseded?.Supersede();
                    return existing;
                }

                // Expired but not yet swept: forget it here so this hello starts afresh.
                if (_sessions.TryRemove(new KeyValuePair<string, Session>(id, existing)))
                {
                    Interlocked.Increment(ref _stats.SessionsExpired);
                }

                continue;
            }

            var created = new Session(id, _stats, _bufferLimit);

            // Publish and attach under the session's lock so a concurrent hello for the same id waits for the welcome.
            lock (created.Gate)
            {
                if (!_sessions.TryAdd(id, created))
                {
                    continue;
                }

                created.AttachNewLocked(handler, clientLastSeq);
            }

            Interlocked.Increment(ref _stats.SessionsCreated);
            if (clientLastSeq > 0)
            {
                // The client had a session the server no longer knows: what it had not received is lost.
                Interlocked.Increment(ref _stats.SessionsForgotten);
            }

            return created;
        }
    }

    private async Task RunTimerAsync()
    {
        using var timer = new PeriodicTimer(_tick);
        var last = Environment.TickCount64;
        var lastSweep = last;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                try
                {
                    if (_pushRate > 0)
                    {
                        PushAll((now - last) / 1000.0);
                    }

                    if (now - lastSweep >= _sweepEveryMs)
                    {
                        lastSweep = now;
                        Sweep(now);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad tick must not stop pushes and expiry for the rest of the run.
                }

                last = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void PushAll(double elapsedSeconds)
    {
        var unixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var owed = _pushRate * elapsedSeconds;

        // A stalled tick (GC pause, suspended process) may catch up at most one second of pushes.
        var maxCredit = _pushRate + 1;
        foreach (var (_, session) in _sessions)
        {
            var credit = Math.Min(session.PushCredit + owed, maxCredit);
            var count = (int)credit;
            session.PushCredit = credit - count;
            if (count > 0)
            {
                session.Push(count, unixMs);
            }
        }
    }

    private void Sweep(long now)
    {
        foreach (var (id, session) in _sessions)
        {
            if (session.TryExpire(now, _windowMs) && _sessions.TryRemove(new KeyValuePair<string, Session>(id, session)))
            {
                Interlocked.Increment(ref _stats.SessionsExpired);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _timerLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
