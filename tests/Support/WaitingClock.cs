using Microsoft.Extensions.Time.Testing;

namespace SimCluster.Tests.Support;

/// <summary>
/// Fake time that moves only while the code under test is waiting on it: <see cref="StepWhileWaitingAsync"/>
/// advances the clock only when some timer is due in the future, so a busy machine that delays the code's next
/// await cannot make fake time run ahead of it.
/// </summary>
public sealed class WaitingClock : FakeTimeProvider
{
    private readonly List<TrackedTimer> _timers = [];
    /// <summary>Released whenever a timer is set to a due time: the code under test has started waiting.</summary>
    private readonly SemaphoreSlim _timerSet = new(0);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this);
        tracked.Inner = base.CreateTimer(callback, state, dueTime, period);
        lock (_timers) _timers.Add(tracked); // listed before it signals, so the stepper sees it pending
        tracked.Schedule(dueTime, period);
        return tracked;
    }

    /// <summary>Advances in steps while <paramref name="work"/> runs and waits; gives up after a real-time bound.</summary>
    public async Task StepWhileWaitingAsync(Task work, TimeSpan step, TimeSpan realTimeBound)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!work.IsCompleted && TimeProvider.System.GetElapsedTime(started) < realTimeBound)
        {
            if (SomeTimerPending()) Advance(step);
            else
            {
                var left = realTimeBound - TimeProvider.System.GetElapsedTime(started);
                await Task.WhenAny(work, _timerSet.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero));
            }
        }
    }

    private bool SomeTimerPending()
    {
        var now = GetUtcNow();
        lock (_timers)
        {
            _timers.RemoveAll(t => t.Disposed);
            return _timers.Any(t => t.Periodic || t.DueAt is { } due && due > now);
        }
    }

    private sealed class TrackedTimer(WaitingClock clock) : ITimer
    {
        public ITimer Inner = null!;
        public volatile bool Disposed;
        private DateTimeOffset? _dueAt;
        private bool _periodic;

        public DateTimeOffset? DueAt { get { lock (this) return _dueAt; } }

        public bool Periodic { get { lock (this) return _periodic && _dueAt is not null; } }

        public void Schedule(TimeSpan dueTime, TimeSpan period)
        {
            lock (this)
            {
                _dueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + dueTime;
                _periodic = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan;
            }
            if (_dueAt is not null) clock._timerSet.Release();
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Schedule(dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Dispose() { Disposed = true; Inner.Dispose(); }

        public ValueTask DisposeAsync() { Dispose(); return Inner.DisposeAsync(); }
    }
}
