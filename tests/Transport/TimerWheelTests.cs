using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Tests.Support;
using SimCluster.Transport;

namespace SimCluster.Tests.Transport;

[Trait("Category", "Unit")]
public sealed class TimerWheelTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimeSpan Since(FakeTimeProvider time) => time.GetUtcNow() - Start;

    /// <summary>
    /// Moves fake time forward one millisecond at a time, the way real time passes: FakeTimeProvider.Advance
    /// sets the clock to the end of the jump before it runs the timers that fall inside it.
    /// </summary>
    private static void Pass(FakeTimeProvider time, TimeSpan span)
    {
        var step = TimeSpan.FromMilliseconds(1);
        for (; span >= step; span -= step) time.Advance(step);
        if (span > TimeSpan.Zero) time.Advance(span);
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_never_early()
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var fired = new List<TimeSpan>();
        using var timer = wheel.CreateTimer(_ => fired.Add(Since(time)), null, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1));

        Pass(time, TimeSpan.FromSeconds(10));

        Assert.Equal(10, fired.Count);
        for (var i = 0; i < fired.Count; i++)
        {
            var planned = TimeSpan.FromMilliseconds(300) + TimeSpan.FromSeconds(i);
            Assert.InRange(fired[i], planned, planned + TimeSpan.FromMilliseconds(1));
        }
    }

    [Fact]
    public void A_deadline_beyond_one_turn_of_the_wheel_waits_for_its_own_turn()
    {
        // 4,096 slots of 1 ms: a 10 s timer shares its slot with the 1.808 s and 5.904 s instants.
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var fired = new List<TimeSpan>();
        using var timer = wheel.CreateTimer(_ => fired.Add(Since(time)), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        Pass(time, TimeSpan.FromSeconds(9.99));
        Assert.Empty(fired);
        Pass(time, TimeSpan.FromSeconds(5));
        var at = Assert.Single(fired);
        Assert.InRange(at, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.001));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Change_moves_a_timer_and_an_infinite_due_time_or_dispose_stops_it()
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var fires = 0;
        var timer = wheel.CreateTimer(_ => fires++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        Pass(time, TimeSpan.FromSeconds(2.5));
        Assert.Equal(2, fires);

        Assert.True(timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan)); // one shot at 7.5 s
        Pass(time, TimeSpan.FromSeconds(4.9));
        Assert.Equal(2, fires);
        Pass(time, TimeSpan.FromSeconds(0.2));
        Assert.Equal(3, fires);
        Pass(time, TimeSpan.FromSeconds(10));
        Assert.Equal(3, fires);

        Assert.True(timer.Change(TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
        Pass(time, TimeSpan.FromMilliseconds(450));
        Assert.Equal(3 + 5, fires); // at 0, 100, 200, 300, 400 ms

        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        Pass(time, TimeSpan.FromSeconds(1));
        Assert.Equal(8, fires);
        Assert.Equal(0, wheel.Count);

        Assert.True(timer.Change(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)));
        timer.Dispose();
        Pass(time, TimeSpan.FromSeconds(1));
        Assert.Equal(8, fires);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void After_a_stall_a_periodic_timer_fires_once_and_keeps_its_period_instead_of_a_burst()
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var fired = new List<TimeSpan>();
        using var timer = wheel.CreateTimer(_ => fired.Add(Since(time)), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

        time.Advance(TimeSpan.FromSeconds(1)); // the wheel's thread saw no time pass for a whole second
        Assert.Equal([TimeSpan.FromSeconds(1)], fired);
        Pass(time, TimeSpan.FromMilliseconds(250));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1), TimeSpan.FromSeconds(1.2)], fired);
    }

    [Fact]
    public void Ten_thousand_clients_each_fire_exactly_once_per_period_at_their_own_phase()
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var random = new Random(7);
        const int clients = 10_000;
        var fires = new int[clients];
        var worstLateness = TimeSpan.Zero;
        var timers = new List<ITimer>();
        for (var i = 0; i < clients; i++)
        {
            // Phases in [5 ms, 990 ms): the fifth fire of each falls clearly inside the 5 s passed, the sixth clearly after.
            var phase = TimeSpan.FromMilliseconds(5 + random.NextDouble() * 985);
            var client = i;
            timers.Add(wheel.CreateTimer(_ =>
            {
                var planned = phase + TimeSpan.FromSeconds(fires[client]++);
                var late = Since(time) - planned;
                Assert.True(late >= TimeSpan.Zero, $"client {client} fired {-late.TotalMilliseconds} ms early");
                if (late > worstLateness) worstLateness = late;
            }, null, phase, TimeSpan.FromSeconds(1)));
        }

        Pass(time, TimeSpan.FromSeconds(5));

        Assert.All(fires, f => Assert.Equal(5, f));
        Assert.True(worstLateness <= TimeSpan.FromMilliseconds(1), $"worst lateness {worstLateness.TotalMilliseconds} ms");
        Assert.Equal(clients, wheel.Count);
        foreach (var t in timers) t.Dispose();
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void A_callback_that_changes_or_disposes_its_own_timer_does_not_break_the_turn()
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: Timeout.InfiniteTimeSpan);
        var log = new List<string>();
        ITimer? self = null;
        self = wheel.CreateTimer(_ => { log.Add("self"); self!.Dispose(); }, null, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));
        ITimer? mover = null;
        var moved = false;
        mover = wheel.CreateTimer(_ =>
        {
            log.Add("mover");
            if (!moved) mover!.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            moved = true;
        }, null, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));

        Pass(time, TimeSpan.FromMilliseconds(100));
        Assert.Equal(["mover", "self"], log.Order().ToArray());
        Pass(time, TimeSpan.FromSeconds(1));
        Assert.Equal(3, log.Count);
        Assert.Equal(0, wheel.Count);
    }

    [ThreadStatic] private static bool t_turning;

    [Theory]
    [InlineData(0.5, 1)] // the first callback spends the budget: the other two go to the pool
    [InlineData(0.0, 0)] // no budget: every callback goes to the pool
    public async Task Callbacks_run_on_the_turning_thread_until_the_budget_is_spent_and_the_rest_on_the_pool(double budgetMs, int onTurningThread)
    {
        var time = new FakeTimeProvider(Start);
        using var wheel = new TimerWheel(time, inlineBudget: TimeSpan.FromMilliseconds(budgetMs));
        var turning = new ConcurrentQueue<bool>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 0;
        List<ITimer> timers = [];
        for (var i = 0; i < 3; i++)
        {
            timers.Add(wheel.CreateTimer(_ =>
            {
                turning.Enqueue(t_turning);
                // The first callback takes 2 ms of the wheel's clock.
                if (Interlocked.Exchange(ref first, 1) == 0) time.Advance(TimeSpan.FromMilliseconds(2));
                if (turning.Count == 3) all.TrySetResult();
            }, null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan));
        }

        t_turning = true;
        try { Pass(time, TimeSpan.FromMilliseconds(11)); }
        finally { t_turning = false; }
        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(onTurningThread, turning.Count(t => t));
        Assert.Equal(3 - onTurningThread, turning.Count(t => !t));
        foreach (var timer in timers) timer.Dispose();
    }

    [Fact]
    public async Task On_the_system_clock_its_own_thread_turns_the_wheel_and_stops_on_dispose()
    {
        var fired = new ConcurrentQueue<long>();
        var wheel = new TimerWheel(TimeProvider.System);
        var timer = wheel.CreateTimer(_ => fired.Enqueue(TimeProvider.System.GetTimestamp()), null, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20));

        await Eventually.TrueAsync(() => fired.Count >= 5, "the wheel's thread fires a 20 ms timer", TimeSpan.FromSeconds(30));
        timer.Dispose();
        var after = fired.Count;
        await Task.Delay(200);
        Assert.InRange(fired.Count, after, after + 1); // at most the fire already under way
        wheel.Dispose();
        Assert.Throws<ObjectDisposedException>(() => wheel.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.Zero));
    }
}
