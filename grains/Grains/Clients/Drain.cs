namespace SimCluster.Grains.Clients;

/// <summary>
/// The end of a run on an open connection: wait until every answer is in (<see cref="Finish"/>) or the
/// wait runs out, settle the books once (<c>settle</c>: overdue is lost, the rest unresolved), then
/// complete <see cref="Done"/>. The wait runs on the traffic's clock, so tests drive it with fake time.
/// </summary>
public sealed class Drain : IDisposable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action _settle;
    private readonly ITimer _timer;
    private int _finished;

    /// <param name="wait">How long to wait for the answers still outstanding (see <see cref="Wait"/>).</param>
    /// <param name="settle">Books what is still outstanding; runs once, when the answers are in or the wait ran out.</param>
    public Drain(TimeProvider time, TimeSpan wait, Action settle)
    {
        _settle = settle;
        _timer = time.CreateTimer(_ => Finish(), null, wait, Timeout.InfiniteTimeSpan);
    }

    public Task Done => _done.Task;

    /// <summary>
    /// Until the newest message's loss window has passed (<paramref name="windowLeft"/>, plus a millisecond so it
    /// is strictly over), but never longer than the stop grace.
    /// </summary>
    public static TimeSpan Wait(TimeSpan windowLeft, TimeSpan grace)
    {
        var untilLost = windowLeft + TimeSpan.FromMilliseconds(1);
        if (untilLost < TimeSpan.Zero) untilLost = TimeSpan.Zero;
        return untilLost < grace ? untilLost : grace;
    }

    public void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 1) return;
        _timer.Dispose();
        try { _settle(); }
        finally { _done.TrySetResult(); }
    }

    public void Dispose() => Finish();
}
