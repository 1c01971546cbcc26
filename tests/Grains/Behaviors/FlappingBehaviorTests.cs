using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Behaviors;
using SimCluster.Grains.Clients;
using SimCluster.Tests.Grains.Clients;

namespace SimCluster.Tests.Grains.Behaviors;

/// <summary>Flapping through the client runtime on fake time: each drop's mode, its books, the outage, and the cycle count.</summary>
[Trait("Category", "Unit")]
public sealed class FlappingBehaviorTests
{
    private static readonly TimeSpan Up = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Down = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    private static ClientHarness Flapper(int cycles, params DropMode[] drops) =>
        new ClientHarness(ClientHarness.Group("flapping") with
        {
            Flapping = new FlappingPlan { Up = new(Up, Up), Down = new(Down, Down), Drops = drops, Cycles = cycles },
        }).Started();

    [Theory]
    [InlineData(DropMode.Reset, "c1 reset")]
    [InlineData(DropMode.Close, "c1 close 1000 flap")]
    [InlineData(DropMode.Blackhole, "c1 blackhole")]
    public void A_drop_ends_the_connection_its_way_after_the_up_time_and_counts_one_forced_disconnect(DropMode mode, string done)
    {
        var h = Flapper(1, mode);
        h.Accept();
        h.TakeLog();

        h.Advance(Up - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ClientState.Open, h.Client.State);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["detach", done], h.TakeLog());
        Assert.Equal(ClientState.Dropped, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Count(MetricNames.ForcedDrops));
        Assert.Equal(0, h.Count(MetricNames.FalseDisconnects));
        Assert.Equal(1, h.Causes[$"forced:{mode.Spelled()}"]);
        Assert.Empty(h.Closes); // the client ended it: no close code seen
        Assert.Equal(0, h.Metrics.Open);
    }

    [Fact]
    public void The_client_stays_down_for_the_outage_then_reconnects_through_its_policy_and_counts_the_recovery()
    {
        var h = Flapper(1, DropMode.Reset);
        var trends = new List<string>();
        h.Metrics.Sampled = (name, _) => trends.Add(name);
        h.Accept();
        h.Advance(Up);

        h.Advance(Down); // network back: the reconnect policy's delay starts now
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        Assert.Equal(0, h.Opener.InFlight);
        h.Advance(Backoff);
        Assert.Equal(1, h.Opener.InFlight);
        h.Accept();

        Assert.Equal(1, h.Count(MetricNames.Reconnects));
        Assert.Equal(1, trends.Count(t => t == MetricNames.RecoveryTime));
        Assert.Equal(1, trends.Count(t => t == MetricNames.ReconnectTime));
    }

    [Fact]
    public void It_drops_exactly_cycles_times_then_stays_up()
    {
        var h = Flapper(2, DropMode.Reset);
        for (var cycle = 0; cycle < 2; cycle++)
        {
            h.Accept();
            h.Advance(Up);
            h.Advance(Down);
            h.Advance(Backoff);
        }
        h.Accept();
        h.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Equal(2, h.Count(MetricNames.ForcedDrops));
        Assert.Equal(3, h.Count(MetricNames.Connects));
        Assert.Equal(["connecting", "open", "dropped", "waiting", "connecting", "open", "dropped", "waiting", "connecting", "open"], h.Timeline);
    }

    [Fact]
    public void A_blackholed_socket_is_held_until_the_server_gives_up_then_released_and_timed()
    {
        var h = Flapper(1, DropMode.Blackhole);
        var trends = new List<string>();
        h.Metrics.Sampled = (name, _) => trends.Add(name);
        var first = h.Accept();
        h.Advance(Up);
        Assert.DoesNotContain("c1 release", h.Log);
        Assert.DoesNotContain(MetricNames.DeadConnectionHoldTime, trends);

        h.Time.Advance(TimeSpan.FromSeconds(3));
        first.PeerGives(h.Time.GetTimestamp());
        h.Run();
        Assert.Contains("c1 release", h.Log);
        Assert.Equal(1, trends.Count(t => t == MetricNames.DeadConnectionHoldTime));
    }

    [Fact]
    public void A_server_close_before_the_drop_cancels_it_and_the_next_connection_gets_its_own()
    {
        var h = Flapper(1, DropMode.Reset);
        h.Accept().ServerCloses(1001);
        h.Run();
        h.Advance(Backoff);
        h.Accept();
        h.Advance(Up);

        Assert.Equal(1, h.Count(MetricNames.ForcedDrops));
        Assert.Equal(2, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Count(MetricNames.FalseDisconnects)); // a flapper did nothing wrong when the server closed it
        Assert.Contains("c2 reset", h.Log);
        Assert.DoesNotContain("c1 reset", h.Log);
    }

    [Fact]
    public void A_drop_mix_draws_every_mode_from_the_client_source_and_a_single_mode_draws_nothing()
    {
        var mix = new FlappingBehavior(new FlappingPlan { Up = new(Up, Up), Down = new(Down, Down), Drops = [DropMode.Close, DropMode.Blackhole], Cycles = 0 });
        var rng = new Random(5);
        var picks = Enumerable.Range(0, 200).Select(i => mix.NextDrop(i, rng)!.Mode).ToHashSet();
        Assert.Equal([DropMode.Close, DropMode.Blackhole], picks.Order());

        var single = new FlappingBehavior(new FlappingPlan { Up = new(Up, Up), Down = new(Down, Down), Drops = [DropMode.Reset], Cycles = 0 });
        var source = new Random(7);
        var expected = new Random(7);
        Assert.Equal(DropMode.Reset, single.NextDrop(0, source)!.Mode);
        // Fixed ranges and a single mode take nothing from the client's source.
        Assert.Equal(expected.Next(), source.Next());
    }
}
