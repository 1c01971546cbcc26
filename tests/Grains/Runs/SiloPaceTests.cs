using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Runs;

namespace SimCluster.Tests.Grains.Runs;

[Trait("Category", "Unit")]
public sealed class SiloPaceTests
{
    private static SiloSnapshot At(long connects, long sent) => new()
    {
        Silo = "s",
        Groups =
        [
            new GroupSnapshot { Group = "a", Counters = new() { [MetricNames.Connects] = connects, [MetricNames.MessagesSent] = sent }, Trends = [], CloseCodes = [] },
            new GroupSnapshot { Group = "b", Counters = new() { [MetricNames.Connects] = connects }, Trends = [], CloseCodes = [] },
        ],
    };

    [Fact]
    public void The_hole_is_the_peak_rate_over_the_window_and_connects_add_one_in_flight_per_client()
    {
        var pace = new SiloPace();
        pace.Observe(At(0, 0), 1);
        pace.Observe(At(10, 50), 2);   // 20 connects/s over both groups, 50 sent/s
        pace.Observe(At(40, 150), 4);  // 30 connects/s over 2 s: the peak, 50 sent/s
        pace.Observe(At(42, 160), 5);

        var hole = pace.AtMost(1.5, clients: 7);

        Assert.Equal(30 * 1.5 + 7, hole[MetricNames.Connects]);
        Assert.Equal(75, hole[MetricNames.MessagesSent]);
        Assert.Equal(0, hole[MetricNames.Disconnects]);
        Assert.Equal(SiloPace.Counters.Order(), hole.Keys.Order());
    }

    [Fact]
    public void A_catch_up_interval_under_a_second_counts_as_one_second()
    {
        var pace = new SiloPace();
        pace.Observe(At(0, 0), 3);
        pace.Observe(At(5, 0), 3.1); // collections catching up: 10 (5 per group) in 0.1 s is not 100/s
        Assert.Equal(10 * 2, pace.AtMost(2, clients: 0)[MetricNames.Connects]);
        Assert.Equal(0, new SiloPace().AtMost(2, clients: 3)[MetricNames.Connects] - 3);
    }
}
