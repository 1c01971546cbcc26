using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;

namespace SimCluster.Tests.Grains.Clients;

/// <summary>The load shape's ramp-down through the client runtime on fake time: the client closes itself, cleanly, once.</summary>
[Trait("Category", "Unit")]
public sealed class RampDownTests
{
    // One client: planned from 0 to 1 over 10 s, held, then down to 0 over 10 s; it leaves when the line reaches 0.
    private static readonly StagePlan[] Stages =
    [
        new(TimeSpan.FromSeconds(10), 1), new(TimeSpan.FromSeconds(20), 1), new(TimeSpan.FromSeconds(10), 0),
    ];

    private static ClientHarness RampedClient(out ClientWindow window)
    {
        var h = new ClientHarness(ClientHarness.Group("steady"), p => p with { Stages = Stages });
        window = new LoadShape(1, TimeSpan.FromMinutes(10), TimeSpan.Zero, Stages, 0).WindowOf(0);
        Assert.True(window.Runs);
        Assert.NotNull(window.Stop);
        return h.Started();
    }

    [Fact]
    public void A_client_past_its_ramp_down_drains_and_closes_with_1000_ramp_down_counted_once_and_never_as_a_disconnect()
    {
        var h = RampedClient(out var window);
        h.Advance(window.Start);
        h.Accept();
        h.TakeLog();
        var stop = window.Stop!.Value;

        h.Advance(stop - window.Start - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Empty(h.TakeLog());
        Assert.Equal(0, h.Count(MetricNames.ClientsRampedDown));

        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["drain", "detach", "c1 close 1000 ramp-down", "finish"], h.TakeLog());
        Assert.Equal(ClientState.Closed, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.ClientsRampedDown));
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
        Assert.Equal(0, h.Count(MetricNames.FalseDisconnects));
        Assert.Equal(0, h.Count(MetricNames.ForcedDrops));
        Assert.Empty(h.Causes);
        Assert.Equal(0, h.Metrics.Open);
        Assert.Equal(1, h.Count(MetricNames.Connects));

        // The run's own stop later finds the client done: nothing counted again, no connect after it.
        var stopped = h.Client.StopAsync();
        h.Advance(TimeSpan.FromMinutes(1));
        Assert.True(stopped.IsCompletedSuccessfully);
        Assert.Equal(1, h.Count(MetricNames.ClientsRampedDown));
        Assert.Equal(0, h.Opener.InFlight);
        Assert.Empty(h.TakeLog());
    }

    [Fact]
    public void A_client_reconnecting_when_its_ramp_down_comes_stops_trying_and_counts_a_ramp_down_not_a_give_up()
    {
        var h = RampedClient(out var window);
        h.Advance(window.Start);
        var first = h.Accept();
        var stop = window.Stop!.Value;
        h.Advance(stop - window.Start - TimeSpan.FromMilliseconds(50));
        first.ServerCloses(1001); // lost 50 ms before the ramp-down; the backoff is 100 ms
        h.Run();
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        h.TakeLog();

        h.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(ClientState.Closed, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.ClientsRampedDown));
        Assert.Equal(1, h.Count(MetricNames.Disconnects)); // the server's close, counted once
        Assert.Equal(0, h.Count(MetricNames.ReconnectGiveUps));

        h.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, h.Opener.InFlight);
        Assert.DoesNotContain("connect", h.TakeLog());
    }
}
