namespace SimCluster.Abstractions.Plans;

/// <summary>One k6-style stage: over <see cref="Duration"/> the planned client count moves in a straight line to <see cref="Clients"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record StagePlan([property: Id(0)] TimeSpan Duration, [property: Id(1)] int Clients);

/// <summary>When one client is planned to be connected: from <see cref="Start"/> (after the run's start instant) until <see cref="Stop"/> (null: the run's end).</summary>
public readonly record struct ClientWindow(TimeSpan Start, TimeSpan? Stop)
{
    /// <summary>False when the arrival rate would start the client only after its stage already took it away again.</summary>
    public bool Runs => Stop is not { } stop || Start < stop;
}

/// <summary>
/// The planned shape of a run's load: how many clients are connected at each instant, and so when each client
/// starts and (on a ramp-down) stops. The planned count is a line through the points (0, 0), (end of stage 1,
/// its target), ...; after the last stage it holds. Without stages, <c>rampUp</c> is one rising stage
/// (client i starts at rampUp * i / clients) followed by a hold. Client i is connected while the planned count
/// is above i: the lowest indices start first and stop last, so each client has one window as long as the
/// shape rises, holds, then falls (the binder refuses a rise after a fall). An arrival rate
/// (<c>connectRate</c>) starts clients no faster than that many a second, in index order.
/// Pure: the same plan gives the same windows on every silo, and the report draws the planned line from it.
/// </summary>
public sealed class LoadShape
{
    private readonly int _clients;
    private readonly TimeSpan _duration;
    private readonly double _connectRate;
    /// <summary>Corner points (seconds, planned clients), starting at (0, 0) or, with neither stages nor rampUp, at (0, clients).</summary>
    private readonly (double T, double C)[] _points;

    public LoadShape(int clients, TimeSpan duration, TimeSpan rampUp, IReadOnlyList<StagePlan>? stages, double connectRatePerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(clients);
        _clients = clients;
        _duration = duration;
        _connectRate = connectRatePerSecond > 0 ? connectRatePerSecond : 0;
        var points = new List<(double, double)>();
        if (stages is { Count: > 0 })
        {
            points.Add((0, 0));
            var t = 0.0;
            foreach (var stage in stages)
            {
                t += stage.Duration.TotalSeconds;
                points.Add((t, Math.Min(stage.Clients, clients)));
            }
        }
        else if (rampUp > TimeSpan.Zero && clients > 1)
        {
            points.Add((0, 0));
            points.Add((rampUp.TotalSeconds, clients));
        }
        else
        {
            points.Add((0, clients));
        }
        _points = [.. points];
    }

    public static LoadShape For(RunPlan plan) => new(plan.Clients, plan.Duration, plan.RampUp, plan.Stages, plan.ConnectRate);

    /// <summary>The highest planned client count.</summary>
    public int Peak => (int)Math.Round(_points.Max(p => p.C));

    /// <summary>The planned client count at <paramref name="at"/> (a point on the line, not yet rounded).</summary>
    public double PlannedLine(TimeSpan at)
    {
        var t = at.TotalSeconds;
        if (t <= _points[0].T) return _points[0].C;
        for (var k = 1; k < _points.Length; k++)
        {
            var (t0, c0) = _points[k - 1];
            var (t1, c1) = _points[k];
            if (t <= t1) return t1 <= t0 ? c1 : c0 + (c1 - c0) * (t - t0) / (t1 - t0);
        }
        return _points[^1].C;
    }

    /// <summary>The window of client <paramref name="index"/>.</summary>
    public ClientWindow WindowOf(int index)
    {
        var start = ShapeStart(index);
        if (_connectRate > 0) start = Math.Max(start, RateLimitedStart(index));
        var stop = ShapeStop(index);
        return new ClientWindow(FromSeconds(start), stop is { } s && s < _duration.TotalSeconds ? FromSeconds(s) : null);
    }

    /// <summary>Clients planned to be connected at <paramref name="at"/>: those whose window holds that instant.</summary>
    public int PlannedAt(TimeSpan at)
    {
        // Starts rise with the index and stops fall with it (the lowest indices stop last), so both "started by
        // then" and "not stopped by then" hold for a prefix of the indices: two binary searches, not a walk.
        var started = CountWhere(i => WindowOf(i).Start <= at);
        var notStopped = CountWhere(i => WindowOf(i).Stop is not { } stop || stop > at);
        return Math.Min(started, notStopped);
    }

    /// <summary>The planned client count at each whole second 0..<paramref name="seconds"/>.</summary>
    public int[] PlannedPerSecond(int seconds) => [.. Enumerable.Range(0, Math.Max(0, seconds) + 1).Select(s => PlannedAt(TimeSpan.FromSeconds(s)))];

    /// <summary>Stages as the report shows them: each stage's end (seconds from the start) and target.</summary>
    public IReadOnlyList<(double AtSeconds, int Clients)> Corners => [.. _points.Select(p => (p.T, (int)Math.Round(p.C)))];

    /// <summary>The fastest rise of the shape, in clients per second (infinite for an instant start).</summary>
    public double SteepestRise()
    {
        var steepest = 0.0;
        if (_points[0].C > 0) return double.PositiveInfinity;
        for (var k = 1; k < _points.Length; k++)
        {
            var (t0, c0) = _points[k - 1];
            var (t1, c1) = _points[k];
            if (c1 <= c0) continue;
            if (t1 <= t0) return double.PositiveInfinity;
            steepest = Math.Max(steepest, (c1 - c0) / (t1 - t0));
        }
        return steepest;
    }

    /// <summary>The first instant the line is above <paramref name="index"/> (0 for the clients it starts with).</summary>
    private double ShapeStart(int index)
    {
        if (_points[0].C > index) return 0;
        for (var k = 1; k < _points.Length; k++)
        {
            var (t0, c0) = _points[k - 1];
            var (t1, c1) = _points[k];
            if (c1 > c0 && c0 <= index && index < c1) return t1 <= t0 ? t1 : t0 + (index - c0) * (t1 - t0) / (c1 - c0);
        }
        return double.PositiveInfinity; // never above it: the client never starts
    }

    /// <summary>The first instant after its start that the line falls to <paramref name="index"/> or below; null if it never does.</summary>
    private double? ShapeStop(int index)
    {
        var risen = _points[0].C > index;
        for (var k = 1; k < _points.Length; k++)
        {
            var (t0, c0) = _points[k - 1];
            var (t1, c1) = _points[k];
            if (c1 > index) risen = true;
            if (risen && c1 < c0 && c1 <= index && index < c0) return t1 <= t0 ? t1 : t0 + (c0 - index) * (t1 - t0) / (c0 - c1);
        }
        return null;
    }

    /// <summary>
    /// With an arrival rate, client i starts no earlier than rate-spacing after client i-1: start(i) = max over
    /// j &lt;= i of (shapeStart(j) + (i - j) / rate). shapeStart is linear in j on each rising segment, so the
    /// maximum on a segment is at one of its ends: a walk over the segments, not over every client.
    /// </summary>
    private double RateLimitedStart(int index)
    {
        var gap = 1 / _connectRate;
        double G(int j) => ShapeStart(j) - j * gap;
        var best = G(0);
        if (_points[0].C > 0) best = Math.Max(best, G(Math.Min(index, (int)_points[0].C - 1)));
        for (var k = 1; k < _points.Length; k++)
        {
            var (_, c0) = _points[k - 1];
            var (_, c1) = _points[k];
            if (c1 <= c0) continue;
            var first = (int)Math.Ceiling(c0);
            if (first > index) break;
            var last = Math.Min(index, (int)Math.Ceiling(c1) - 1);
            best = Math.Max(best, Math.Max(G(first), G(last)));
        }
        return best + index * gap;
    }

    private int CountWhere(Func<int, bool> prefixHolds)
    {
        // prefixHolds is true for a prefix of 0.._clients-1 (monotone): the length of that prefix.
        int lo = 0, hi = _clients;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (prefixHolds(mid)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static TimeSpan FromSeconds(double seconds) =>
        double.IsPositiveInfinity(seconds) ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
}
