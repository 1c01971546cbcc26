using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace SimCluster.Transport;

/// <summary>
/// A hashed timing wheel (Varghese and Lauck; the shape of Netty's <c>HashedWheelTimer</c>) that holds the
/// per-message timers of every client in a silo: which client sends next, which heartbeat is due.
/// <para>
/// Why not one .NET timer per client: the runtime's timer queue walks its whole list of near timers each
/// time one fires, so with N clients each sending once a second the cost grows with N². At 5,000 clients
/// that walk (<c>TimerQueue.FireNextTimers</c>) was 9 % of the tool's CPU, and every fire is also a
/// thread-pool work item (a wake-up and a context switch). Here a timer lands in the slot of its deadline
/// tick, one thread visits one slot per tick, and a fire costs the same at 50,000 timers as at 5.
/// </para>
/// <para>
/// Callbacks run on the turning thread until the turn's inline budget (half a tick by default) is spent; what is
/// still due then goes to the thread pool in batches of up to 32. A send that runs where it was found due costs no
/// thread-pool wake-up and waits behind no queued socket work; the budget keeps a saturated machine (sends slow, many
/// due) from holding every fire on one thread. Deterministic tests give an infinite budget. A periodic timer never
/// runs two callbacks at once unless one outlasts its period. Callbacks must not block: one that does delays the
/// rest of its turn. Timestamps and the wall clock come from the inner provider unchanged. With the system clock a
/// dedicated thread turns the wheel every tick; with any other provider (fake time in tests) a periodic timer of
/// that provider does, so tests stay deterministic. Execution context does not flow into callbacks.
/// </para>
/// </summary>
public sealed class TimerWheel : TimeProvider, IDisposable
{
    /// <summary>Slots in the wheel (a power of two): at 1 ms ticks one turn spans about 4 s.</summary>
    private const int SlotCount = 4096;
    private const int SlotMask = SlotCount - 1;
    /// <summary>Timers fired by one thread-pool work item.</summary>
    private const int BatchSize = 32;

    private readonly TimeProvider _inner;
    private readonly TimeSpan _tick;
    private readonly long _tickTimestamp;
    private readonly long _origin;
    private readonly WheelTimer?[] _slots = new WheelTimer?[SlotCount];
    private readonly List<WheelTimer> _due = [];
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _work = new(false);
    private readonly Thread? _thread;
    private readonly ITimer? _driver;
    /// <summary>How long one turn's callbacks may run on the turning thread, as a timestamp span; long.MaxValue: no limit.</summary>
    private readonly long _inlineBudget;

    /// <summary>The next tick to visit; every earlier slot has been emptied of what was due.</summary>
    private long _nextTick;
    private int _scheduled;
    private int _turning;
    private volatile bool _disposed;

    /// <param name="inner">The clock; with <see cref="TimeProvider.System"/> the wheel has its own thread.</param>
    /// <param name="tick">The wheel's resolution (1 ms by default).</param>
    /// <param name="inlineBudget">How long the callbacks of one turn may run on the turning thread before the rest
    /// go to the thread pool: half a tick by default, <see cref="Timeout.InfiniteTimeSpan"/> to run every callback
    /// there, one after another (deterministic tests), <see cref="TimeSpan.Zero"/> to send every one to the pool.</param>
    public TimerWheel(TimeProvider inner, TimeSpan? tick = null, TimeSpan? inlineBudget = null)
    {
        _inner = inner;
        _tick = tick ?? TimeSpan.FromMilliseconds(1);
        if (_tick <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(tick), "a tick must be positive");
        _tickTimestamp = Math.Max(1, (long)(_tick.TotalSeconds * inner.TimestampFrequency));
        var budget = inlineBudget ?? _tick / 2;
        if (budget < TimeSpan.Zero && budget != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(inlineBudget), "a budget must not be negative");
        _inlineBudget = budget == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(budget.TotalSeconds * inner.TimestampFrequency);
        _origin = inner.GetTimestamp();
        if (ReferenceEquals(inner, System))
        {
            _thread = new Thread(Turn) { IsBackground = true, Name = "SimCluster timer wheel" };
            _thread.Start();
        }
        else
        {
            _driver = inner.CreateTimer(_ => Advance(), null, _tick, _tick);
        }
    }

    /// <summary>Timers waiting in the wheel.</summary>
    public int Count => Volatile.Read(ref _scheduled);

    public override long GetTimestamp() => _inner.GetTimestamp();
    public override long TimestampFrequency => _inner.TimestampFrequency;
    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();
    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var timer = new WheelTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Turn()
    {
        while (!_disposed)
        {
            if (Volatile.Read(ref _scheduled) == 0)
            {
                // Nothing to do: sleep until a timer is added rather than waking every tick.
                _work.Wait();
                _work.Reset();
                continue;
            }
            Advance();
            Thread.Sleep(_tick);
        }
    }

    /// <summary>Visits every slot up to now and runs what is due. Called by the wheel's thread or driver only.</summary>
    internal void Advance()
    {
        // A driver timer of another provider may call again before a long turn ends; one turn at a time.
        if (Interlocked.Exchange(ref _turning, 1) == 1) return;
        try { AdvanceAlone(); }
        finally { Volatile.Write(ref _turning, 0); }
    }

    private void AdvanceAlone()
    {
        var now = _inner.GetTimestamp();
        var nowTick = (now - _origin) / _tickTimestamp;
        lock (_gate)
        {
            // After a long stall, one turn of the wheel visits every slot once; nothing due can hide further.
            var first = Math.Max(_nextTick, nowTick - SlotMask);
            for (var tick = first; tick <= nowTick; tick++) CollectDueLocked(tick);
            if (nowTick >= _nextTick) _nextTick = nowTick + 1;
            foreach (var timer in _due)
            {
                if (timer.Period is { } period) InsertLocked(timer, NextDeadline(timer.Deadline, period, now));
            }
        }
        var fired = 0;
        for (; fired < _due.Count; fired++)
        {
            if (_inlineBudget != long.MaxValue && _inner.GetTimestamp() - now >= _inlineBudget) break;
            _due[fired].Fire();
        }
        // The rest go to the thread pool in batches: run on this one thread, a saturated machine gave it one share of
        // the CPU among many and the lean driver's sends (a socket write each) fell behind (scheduling delay p99
        // 594 ms at 15,000 clients); one work item per timer is what the runtime's timers cost. Batches keep both:
        // a few work items per tick, spread over the pool's threads.
        for (var at = fired; at < _due.Count; at += BatchSize)
        {
            var batch = CollectionsMarshal.AsSpan(_due).Slice(at, Math.Min(BatchSize, _due.Count - at)).ToArray();
            ThreadPool.UnsafeQueueUserWorkItem(static b => { foreach (var timer in b) timer.Fire(); }, batch, preferLocal: false);
        }
        _due.Clear();
    }

    private static long NextDeadline(long deadline, long period, long now)
    {
        var next = deadline + period;
        // Fell more than a period behind (a stall): skip the missed fires instead of firing a burst.
        return next > now ? next : now + period;
    }

    private void CollectDueLocked(long tick)
    {
        var node = _slots[tick & SlotMask];
        while (node is not null)
        {
            var next = node.Next;
            // The slot also holds timers due one or more turns later.
            if (node.DeadlineTick <= tick)
            {
                UnlinkLocked(node);
                _due.Add(node);
            }
            node = next;
        }
    }

    private void InsertLocked(WheelTimer timer, long deadline)
    {
        timer.Deadline = deadline;
        // The first tick that starts at or after the deadline, so a timer never fires early; a deadline in a
        // tick already visited goes into the next one to visit.
        timer.DeadlineTick = Math.Max(_nextTick, (deadline - _origin + _tickTimestamp - 1) / _tickTimestamp);
        var slot = (int)(timer.DeadlineTick & SlotMask);
        timer.Slot = slot;
        timer.Next = _slots[slot];
        timer.Previous = null;
        if (timer.Next is not null) timer.Next.Previous = timer;
        _slots[slot] = timer;
        if (Interlocked.Increment(ref _scheduled) == 1) _work.Set();
    }

    private void UnlinkLocked(WheelTimer timer)
    {
        if (timer.Slot < 0) return;
        if (timer.Previous is not null) timer.Previous.Next = timer.Next;
        else _slots[timer.Slot] = timer.Next;
        if (timer.Next is not null) timer.Next.Previous = timer.Previous;
        timer.Next = timer.Previous = null;
        timer.Slot = -1;
        Interlocked.Decrement(ref _scheduled);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _work.Set();
        _driver?.Dispose();
        _thread?.Join(TimeSpan.FromSeconds(1));
    }

    private sealed class WheelTimer(TimerWheel wheel, TimerCallback callback, object? state) : ITimer
    {
        internal WheelTimer? Next;
        internal WheelTimer? Previous;
        internal int Slot = -1;
        internal long Deadline;
        internal long DeadlineTick;
        internal long? Period;
        private volatile bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(dueTime));
            if (period < TimeSpan.Zero && period != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(period));
            lock (wheel._gate)
            {
                if (_disposed) return false;
                wheel.UnlinkLocked(this);
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : ToTimestamp(period);
                if (dueTime != Timeout.InfiniteTimeSpan) wheel.InsertLocked(this, wheel._inner.GetTimestamp() + ToTimestamp(dueTime));
                return true;
            }
        }

        private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * wheel._inner.TimestampFrequency);

        internal void Fire()
        {
            // Disposed after it was found due: like a .NET timer, it may still fire once; this narrows that window.
            if (_disposed) return;
            try { callback(state); }
            catch (Exception e)
            {
                // The same as an unhandled exception in a .NET timer callback, without taking the wheel's thread down first.
                var captured = ExceptionDispatchInfo.Capture(e);
                ThreadPool.UnsafeQueueUserWorkItem(static c => ((ExceptionDispatchInfo)c!).Throw(), captured);
            }
        }

        public void Dispose()
        {
            lock (wheel._gate)
            {
                _disposed = true;
                wheel.UnlinkLocked(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
