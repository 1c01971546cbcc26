namespace SimCluster.Grains.Runs;

/// <summary>
/// The run's instants: when it was asked for, its start instant (every silo starts its clients then), the
/// latest collection (what the merged numbers are as of) and when the clients were told to stop.
/// </summary>
public sealed class RunClock(TimeProvider time)
{
    /// <summary>Lead time so every silo has the start instant before it arrives.</summary>
    public static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(500);

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    public DateTime RequestedAtUtc { get; private set; }

    /// <summary>The start instant; default until the run is armed.</summary>
    public DateTime StartsAtUtc { get; private set; }

    /// <summary>When the latest collection began.</summary>
    public DateTime CollectedAtUtc { get; set; }

    /// <summary>When the clients were told to stop sending (the planned end, or an abort): the end of the active time.</summary>
    public DateTime? ActiveEndedAtUtc { get; private set; }

    public void Requested() => RequestedAtUtc = Now;

    /// <summary>Fixes the start instant a lead from now and returns it.</summary>
    public DateTime FixStart() => StartsAtUtc = Now + StartLead;

    public void ActiveEnded() => ActiveEndedAtUtc = Now;

    /// <summary>A coordinator taking the run over carries the run's clock on: its instants come from the checkpoint.</summary>
    public void Resume(DateTime requestedAtUtc, DateTime startsAtUtc, DateTime? activeEndedAtUtc, DateTime collectedAtUtc)
    {
        RequestedAtUtc = requestedAtUtc;
        StartsAtUtc = startsAtUtc;
        ActiveEndedAtUtc = activeEndedAtUtc;
        CollectedAtUtc = collectedAtUtc;
    }

    /// <summary>The second of the run an instant was at.</summary>
    public double SecondOf(DateTime utc) => Math.Round((utc - StartsAtUtc).TotalSeconds, 2);

    /// <summary>Seconds since the start instant (negative before it).</summary>
    public double SecondsOfRun => (Now - StartsAtUtc).TotalSeconds;

    /// <summary>The instant second <paramref name="second"/> of the run ends.</summary>
    public DateTime EndOfSecond(int second) => StartsAtUtc + TimeSpan.FromSeconds(second);

    /// <summary>
    /// Seconds from the start instant until the clients were told to stop; while the run goes, until the latest
    /// collection (the instant the merged counters are as of).
    /// </summary>
    public double ActiveSeconds()
    {
        if (StartsAtUtc == default || CollectedAtUtc == default) return 0;
        var until = ActiveEndedAtUtc is { } end && end < CollectedAtUtc ? end : CollectedAtUtc;
        return Math.Max(0, (until - StartsAtUtc).TotalSeconds);
    }
}
