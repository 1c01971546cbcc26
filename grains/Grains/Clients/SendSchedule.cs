namespace SimCluster.Grains.Clients;

/// <summary>
/// A client's open-loop send schedule: slot k is due at <c>start + phase + k × interval</c>, and the
/// window ends at the run's planned end (the same instant for every client of every silo). Nothing the
/// network or the timer does moves a slot: a fire that comes late sends every slot that came due meanwhile
/// (<c>send_lag</c> records how late each one went out), so the offered load is what the scenario asked for.
/// Slots that come due while a lost connection is being restored are skipped (the client has nowhere to
/// send them); slots due before the very first connection opened are sent when it opens, because
/// establishing the connection is part of what the client's start costs on a slow link.
/// Not thread-safe: its owner holds its lock around every call.
/// </summary>
public sealed class SendSchedule(TimeProvider time, TimeSpan interval, TimeSpan phase)
{
    private long _start = long.MinValue;
    private long _end = long.MaxValue;
    private long _next;   // the next slot to send or skip
    private bool _opened; // a connection has opened at least once

    public TimeSpan Interval => interval;

    /// <summary>
    /// A schedule whose phase is drawn from <paramref name="random"/> within one interval, so a thousand clients'
    /// send instants spread over the interval instead of firing in one millisecond.
    /// </summary>
    public static SendSchedule Spread(TimeProvider time, TimeSpan interval, Random random) =>
        new(time, interval, interval > TimeSpan.Zero ? TimeSpan.FromTicks((long)(random.NextDouble() * interval.Ticks)) : TimeSpan.Zero);

    /// <summary>Fixes the window: slots from <paramref name="start"/> (plus the phase) until <paramref name="end"/> (timestamps).</summary>
    public void Begin(long start, long end)
    {
        _start = start;
        _end = end;
    }

    /// <summary>A connection opened at <paramref name="now"/>: after the first one, slots already due fell in the outage and are skipped.</summary>
    public void Opened(long now)
    {
        if (_start == long.MinValue) _start = now; // no window given (tests): the schedule starts with the first connection
        if (_opened) _next = Math.Max(_next, SlotsBefore(now, inclusive: false));
        _opened = true;
    }

    /// <summary>The next slot due by <paramref name="now"/>: its number and planned instant; false when none is due.</summary>
    public bool TryTakeDue(long now, out long slot, out long plannedAt)
    {
        slot = _next;
        plannedAt = At(_next);
        if (plannedAt > now || plannedAt >= _end) return false;
        _next++;
        return true;
    }

    /// <summary>Time from <paramref name="now"/> until the next slot is due (zero when overdue); null when the window is over.</summary>
    public TimeSpan? UntilNext(long now)
    {
        var at = At(_next);
        if (at >= _end) return null;
        return at <= now ? TimeSpan.Zero : time.GetElapsedTime(now, at);
    }

    /// <summary>Every slot of the window: what the scenario asked this client to send.</summary>
    public long Planned => _end == long.MaxValue || _start == long.MinValue ? _next : SlotsBefore(_end, inclusive: false);

    /// <summary>The window's end, as a timestamp (<see cref="long.MaxValue"/> when open-ended).</summary>
    public long End => _end;

    private long At(long slot) => _start + Ticks(phase) + (long)Math.Round(slot * interval.TotalSeconds * time.TimestampFrequency);

    /// <summary>How many slots are due before <paramref name="instant"/> (or at it, when inclusive).</summary>
    private long SlotsBefore(long instant, bool inclusive)
    {
        var first = _start + Ticks(phase);
        if (instant < first || (!inclusive && instant == first)) return 0;
        var perSlot = interval.TotalSeconds * time.TimestampFrequency;
        var n = (long)Math.Floor((instant - first) / perSlot) + 1;
        // Rounding of At() decides the edge: step until the count agrees with it.
        while (n > 0 && (inclusive ? At(n - 1) > instant : At(n - 1) >= instant)) n--;
        while (inclusive ? At(n) <= instant : At(n) < instant) n++;
        return n;
    }

    private long Ticks(TimeSpan span) => (long)Math.Round(span.TotalSeconds * time.TimestampFrequency);
}
