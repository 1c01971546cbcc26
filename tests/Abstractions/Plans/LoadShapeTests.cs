using SimCluster.Abstractions.Plans;

namespace SimCluster.Tests.Abstractions.Plans;

/// <summary>The load shape on a clock of its own (offsets from the run's start): windows, the planned line, the arrival rate.</summary>
[Trait("Category", "Unit")]
public class LoadShapeTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void RampUp_alone_starts_client_i_at_rampUp_times_i_over_clients_and_never_stops_it()
    {
        var shape = new LoadShape(100, S(60), S(10), null, 0);

        Assert.Equal(new ClientWindow(S(0), null), shape.WindowOf(0));
        Assert.Equal(new ClientWindow(S(5), null), shape.WindowOf(50));
        Assert.Equal(new ClientWindow(S(9.9), null), shape.WindowOf(99));
        Assert.Equal(100, shape.PlannedAt(S(10)));
        Assert.Equal(100, shape.PlannedAt(S(60)));
    }

    [Fact]
    public void No_rampUp_starts_everyone_at_once()
    {
        var shape = new LoadShape(10, S(5), TimeSpan.Zero, [], 0);

        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(new ClientWindow(TimeSpan.Zero, null), shape.WindowOf(i)));
        Assert.Equal(10, shape.PlannedAt(TimeSpan.Zero));
    }

    [Fact]
    public void Stages_ramp_hold_spike_and_ramp_down_give_each_client_one_window()
    {
        // 0 -> 10 in 5 s, hold 5 s, spike to 30 in 2 s, hold 3 s, back to 10 in 2 s, down to 0 in 5 s (22 s in all).
        StagePlan[] stages = [new(S(5), 10), new(S(5), 10), new(S(2), 30), new(S(3), 30), new(S(2), 10), new(S(5), 0)];
        var shape = new LoadShape(30, S(22), TimeSpan.Zero, stages, 0);

        Assert.Equal(30, shape.Peak);
        Assert.Equal(new ClientWindow(S(0), null), shape.WindowOf(0)); // its ramp-down is the run's end: the run stops it
        Assert.Equal(S(2.5), shape.WindowOf(5).Start);
        Assert.Equal(S(19.5), shape.WindowOf(5).Stop);
        Assert.Equal(S(11), shape.WindowOf(20).Start); // the spike: 10 -> 30 over 10..12 s
        Assert.Equal(S(16), shape.WindowOf(20).Stop); // and back: 30 -> 10 over 15..17 s
        Assert.Equal([1, 3, 5, 7, 9, 10, 10, 10, 10, 10, 11, 21, 30, 30, 30, 30, 20, 10, 8, 6, 4, 2, 1], shape.PlannedPerSecond(22));
    }

    [Fact]
    public void The_planned_count_is_the_number_of_windows_holding_the_instant()
    {
        StagePlan[] stages = [new(S(3), 7), new(S(4), 7), new(S(3), 2)];
        var shape = new LoadShape(7, S(12), TimeSpan.Zero, stages, 0);

        for (var t = 0.0; t <= 12; t += 0.25)
        {
            var at = S(t);
            var counted = Enumerable.Range(0, 7).Count(i => shape.WindowOf(i) is var w && w.Start <= at && (w.Stop is not { } stop || stop > at));
            Assert.Equal(counted, shape.PlannedAt(at));
        }
    }

    [Fact]
    public void After_the_last_stage_the_target_holds_until_the_run_ends()
    {
        var shape = new LoadShape(4, S(20), TimeSpan.Zero, [new StagePlan(S(4), 4)], 0);

        Assert.Equal(4, shape.PlannedAt(S(19)));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Null(shape.WindowOf(i).Stop));
    }

    [Fact]
    public void A_connect_rate_spaces_the_starts_of_an_instant_start()
    {
        var shape = new LoadShape(10, S(30), TimeSpan.Zero, null, connectRatePerSecond: 2);

        Assert.Equal([S(0), S(0.5), S(1), S(4.5)], new[] { 0, 1, 2, 9 }.Select(i => shape.WindowOf(i).Start));
        Assert.Equal(double.PositiveInfinity, shape.SteepestRise());
    }

    [Fact]
    public void A_connect_rate_slower_than_the_ramp_makes_the_starts_lag_and_a_faster_one_changes_nothing()
    {
        // The ramp starts 10 clients a second.
        var slow = new LoadShape(20, S(60), S(2), null, connectRatePerSecond: 5);
        var fast = new LoadShape(20, S(60), S(2), null, connectRatePerSecond: 50);

        Assert.Equal(S(19 / 5.0), slow.WindowOf(19).Start);
        Assert.Equal(S(1.9), fast.WindowOf(19).Start);
        Assert.Equal(10, slow.SteepestRise(), 6);
    }

    [Fact]
    public void A_rate_limited_start_after_a_hold_keeps_the_shape_where_the_shape_is_later()
    {
        // 0 -> 4 at once-ish (1 s), hold 10 s, 4 -> 8 in 1 s; at 1 client/s the first ramp lags, the second starts at 11 s.
        StagePlan[] stages = [new(S(1), 4), new(S(10), 4), new(S(1), 8)];
        var shape = new LoadShape(8, S(20), TimeSpan.Zero, stages, connectRatePerSecond: 1);

        Assert.Equal([S(0), S(1), S(2), S(3), S(11), S(12), S(13), S(14)], Enumerable.Range(0, 8).Select(i => shape.WindowOf(i).Start));
    }

    [Fact]
    public void A_client_the_rate_holds_back_past_its_ramp_down_never_runs()
    {
        // Ten clients arrive at 1/s, but the shape takes the top five away again after 3 s.
        StagePlan[] stages = [new(S(1), 10), new(S(2), 10), new(S(0.001), 5)];
        var shape = new LoadShape(10, S(20), TimeSpan.Zero, stages, connectRatePerSecond: 1);

        Assert.True(shape.WindowOf(2).Runs);
        Assert.False(shape.WindowOf(9).Runs);
        Assert.Equal(5, shape.PlannedAt(S(10)));
    }
}
