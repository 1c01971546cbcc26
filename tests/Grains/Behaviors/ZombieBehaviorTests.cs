using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Tests.Grains.Clients;

namespace SimCluster.Tests.Grains.Behaviors;

/// <summary>A zombie episode through the client runtime on fake time: turned, then evicted, undetected or unobserved, once.</summary>
[Trait("Category", "Unit")]
public sealed class ZombieBehaviorTests
{
    private static readonly TimeSpan After = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ObserveFor = TimeSpan.FromSeconds(10);

    private static ClientHarness Zombie(string kind, TimeSpan? within = null) =>
        new ClientHarness(ClientHarness.Group("zombie") with
        {
            Zombie = new ZombiePlan { Kind = kind, After = After, ObserveFor = ObserveFor, ExpectDetectWithin = within },
        }).Started();

    [Fact]
    public void Every_connection_of_a_zombie_watches_frames()
    {
        var h = Zombie("blackhole");
        Assert.True(h.Opener.Asked.Single().WatchFrames);
        Assert.Null(h.Opener.Asked.Single().SlowReadBytesPerSecond);
        Assert.Equal(64, Zombie("slow-reader").Opener.Asked.Single().SlowReadBytesPerSecond);
    }

    [Fact]
    public void A_blackhole_zombie_turns_after_its_healthy_time_and_is_evicted_when_the_server_gives_up()
    {
        var h = Zombie("blackhole", within: TimeSpan.FromSeconds(5));
        var first = h.Accept();
        h.TakeLog();
        h.Advance(After);

        Assert.Equal(ClientState.Dropped, h.Client.State);
        Assert.Equal(["abandon", "c1 blackhole"], h.TakeLog());
        Assert.Equal(1, h.Count(MetricNames.Zombies));
        Assert.Equal(0, h.Count(MetricNames.Disconnects)); // a zombie's turn is not a disconnect
        Assert.Equal(0, h.Metrics.Open);

        h.Time.Advance(TimeSpan.FromSeconds(4));
        first.PeerGives(h.Time.GetTimestamp());
        h.Run();
        Assert.Equal(["detach", "c1 release"], h.TakeLog());
        Assert.Equal(1, h.Count(MetricNames.ZombiesDetected));
        Assert.Equal(1, h.Count(MetricNames.ZombiesWithinBound));
        Assert.Equal(1, h.Closes["1006"]);
        Assert.Equal(1, h.Causes["zombie:evicted"]);

        h.Advance(ObserveFor * 2); // one episode; the zombie stays down
        Assert.Equal(0, h.Count(MetricNames.ZombiesUndetected));
        Assert.Equal(0, h.Opener.InFlight);
        Assert.Equal(["connecting", "open", "dropped", "zombie-start", "zombie-evicted"], h.Timeline);
    }

    [Fact]
    public void A_zombie_the_server_never_gives_up_on_is_undetected_after_observe_for()
    {
        var h = Zombie("silent-app");
        h.Accept();
        h.Advance(After);
        Assert.Contains("c1 freeze", h.Log);
        h.Advance(ObserveFor - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Count(MetricNames.ZombiesUndetected));
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, h.Count(MetricNames.ZombiesUndetected));
        Assert.Equal(1, h.Causes["zombie:undetected"]);
        Assert.Equal(0, h.Count(MetricNames.ZombiesDetected));
        Assert.Contains("c1 release", h.Log);
    }

    [Fact]
    public void A_zombie_that_still_listens_hears_the_server_close_and_counts_its_code()
    {
        var h = Zombie("app-dead");
        var first = h.Accept();
        h.Advance(After);
        first.ServerCloses(4000);
        h.Run();
        Assert.Equal(1, h.Count(MetricNames.ZombiesDetected));
        Assert.Equal(1, h.Closes["4000"]);
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
        Assert.Equal(0, h.Count(MetricNames.FalseDisconnects));
        Assert.Equal(0, h.Opener.InFlight);
    }

    [Fact]
    public void A_reset_zombie_is_seen_at_once()
    {
        var h = Zombie("reset");
        h.Accept();
        h.TakeLog();
        h.Advance(After);
        Assert.Equal(["abandon", "c1 reset", "detach", "c1 release"], h.TakeLog());
        Assert.Equal(1, h.Closes["rst"]);
        Assert.Equal(1, h.Count(MetricNames.ZombiesDetected));
    }

    [Fact]
    public async Task The_run_ending_inside_observe_for_makes_the_zombie_unobserved()
    {
        var h = Zombie("blackhole");
        h.Accept();
        h.Advance(After);
        await h.Client.StopAsync();
        Assert.Equal(1, h.Count(MetricNames.ZombiesUnobserved));
        Assert.Equal(1, h.Causes["zombie:unobserved"]);
        Assert.Contains("c1 release", h.Log);
        Assert.Equal(ClientState.Closed, h.Client.State);
    }

    [Fact]
    public void A_healthy_connection_lost_before_the_turn_is_an_ordinary_loss_and_the_next_one_turns()
    {
        var h = Zombie("reset");
        h.Accept().ServerCloses(1001);
        h.Run();
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(0, h.Count(MetricNames.FalseDisconnects)); // a zombie is never well-behaved
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Accept();
        h.Advance(After);
        Assert.Equal(1, h.Count(MetricNames.Zombies));
        Assert.Contains("c2 reset", h.Log);
    }
}
