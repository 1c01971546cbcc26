using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>The progress a driver shows: cumulative counts never below the ones shown before, gauges as they come.</summary>
[Trait("Category", "Unit")]
public sealed class ProgressFloorTests
{
    [Fact]
    public void Cumulative_counts_below_the_ones_shown_are_held_and_the_gauges_follow_the_answer()
    {
        var floor = new ProgressFloor();
        floor.Apply(new RunProgress { Phase = RunPhase.Running, Planned = 9, Connects = 50, MessagesSent = 400, MessagesReceived = 390, Disconnects = 20, Open = 9, MessagesPerSecond = 18, RttP95Ms = 4, ElapsedSeconds = 10 });

        // A take-over from an older checkpoint: lower totals, and fewer open connections while the lost clients come back.
        var shown = floor.Apply(new RunProgress { Phase = RunPhase.Running, Planned = 9, Connects = 41, MessagesSent = 380, MessagesReceived = 395, Disconnects = 18, Open = 6, MessagesPerSecond = 12, RttP95Ms = 7, ElapsedSeconds = 11, LostClients = 3, Failovers = 1 });

        Assert.Equal(50, shown.Connects);
        Assert.Equal(400, shown.MessagesSent);
        Assert.Equal(395, shown.MessagesReceived); // higher than before: taken as it is
        Assert.Equal(20, shown.Disconnects);
        Assert.Equal(6, shown.Open);
        Assert.Equal(12, shown.MessagesPerSecond);
        Assert.Equal(7, shown.RttP95Ms);
        Assert.Equal(11, shown.ElapsedSeconds);
        Assert.Equal(3, shown.LostClients);
        Assert.Equal(1, shown.Failovers);
    }

    [Fact]
    public void The_floor_is_what_was_shown_so_a_count_held_once_goes_on_from_there()
    {
        var floor = new ProgressFloor();
        var shown = new[] { 10L, 30, 22, 28, 35 }.Select(c => floor.Apply(new RunProgress { Phase = RunPhase.Running, Planned = 1, Connects = c }).Connects).ToList();
        Assert.Equal([10L, 30, 30, 30, 35], shown);
    }
}
