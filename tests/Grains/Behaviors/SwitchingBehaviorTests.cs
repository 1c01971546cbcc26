using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Tests.Grains.Clients;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Behaviors;

/// <summary>Handovers through the client runtime on fake time: the interface of each connection, the old path's fate, the books.</summary>
[Trait("Category", "Unit")]
public sealed class SwitchingBehaviorTests
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    private static ClientHarness Switcher(SwitchMode mode, OldPathFate oldPath = OldPathFate.Blackhole, bool nat = false) =>
        new ClientHarness(ClientHarness.Group("switching") with
        {
            Switching = new SwitchingPlan { Interfaces = ["wifi-good", "4g"], Every = new(Every, Every), Mode = mode, Gap = Gap, OldPath = oldPath, NatRebinding = nat },
        }).Started();

    private static string RangeOf(ConnectOptions options) => options.LocalAddress!.ToString()[..options.LocalAddress!.ToString().LastIndexOf('.')];

    [Fact]
    public void Break_before_make_kills_the_old_path_waits_the_gap_and_connects_on_the_next_interface()
    {
        var h = Switcher(SwitchMode.BreakBeforeMake, OldPathFate.Reset);
        var trends = new List<string>();
        h.Metrics.Sampled = (name, _) => trends.Add(name);
        h.Accept();
        h.TakeLog();
        h.Advance(Every);

        Assert.Equal(["detach", "c1 reset"], h.TakeLog());
        Assert.Equal(1, h.Count(MetricNames.Switches));
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(0, h.Count(MetricNames.ForcedDrops));
        Assert.Equal(1, h.Causes["switch:reset"]);

        h.Advance(Gap);
        h.Advance(Backoff);
        h.Accept();
        Assert.Equal("127.0.1", RangeOf(h.Opener.Asked[0])); // wifi-good
        Assert.Equal("127.0.2", RangeOf(h.Opener.Asked[1])); // 4g
        Assert.Equal(1, h.Count(MetricNames.Reconnects));
        Assert.Equal(1, trends.Count(t => t == MetricNames.SwitchResumeTime)); // echo: whole once the new path is open
        Assert.Equal(1, trends.Count(t => t == MetricNames.RecoveryTime));
    }

    [Fact]
    public void Make_before_break_opens_the_new_path_first_then_moves_the_traffic_and_kills_the_old_one()
    {
        var h = Switcher(SwitchMode.MakeBeforeBreak, OldPathFate.Fin);
        var old = h.Accept();
        h.TakeLog();
        h.Advance(Every);
        Assert.Equal(["connect"], h.TakeLog());
        Assert.Equal(ClientState.Open, h.Client.State); // the old path still carries the traffic

        h.Accept();
        Assert.Equal(["c1 fin", "attach c2"], h.TakeLog().Where(e => e != "detach"));
        Assert.Equal(1, h.Count(MetricNames.Switches));
        Assert.Equal(2, h.Count(MetricNames.Connects));
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Metrics.Open);
        Assert.Equal("127.0.2", RangeOf(h.Opener.Asked[1]));

        old.ServerCloses(1001); // an event of the old path is stale
        h.Run();
        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Equal(0, h.Count(MetricNames.Disconnects));
    }

    [Fact]
    public void After_a_handover_the_new_path_is_the_current_connection()
    {
        var h = Switcher(SwitchMode.MakeBeforeBreak);
        h.Accept();
        h.Advance(Every);
        var fresh = h.Accept();
        fresh.ServerCloses(1011);
        h.Run();
        Assert.Equal(ClientState.WaitingToReconnect, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.Disconnects));
        Assert.Equal(1, h.Causes["server:close-1011"]);
    }

    [Fact]
    public void A_new_path_that_fails_leaves_the_old_one_and_the_next_switch_comes_after_every()
    {
        var h = Switcher(SwitchMode.MakeBeforeBreak);
        h.Accept();
        h.Advance(Every);
        h.Refuse();
        Assert.Equal(ClientState.Open, h.Client.State);
        Assert.Equal(1, h.Count(MetricNames.ConnectFailures));
        Assert.Equal(1, h.Closes["connect-error:refused"]);
        Assert.Equal(0, h.Count(MetricNames.Switches));

        h.Advance(Every);
        Assert.Equal(1, h.Opener.InFlight);
        Assert.Equal("127.0.1", RangeOf(h.Opener.Asked[2])); // the failed switch still moved on in the interface list
    }

    [Fact]
    public void Nat_rebinding_keeps_the_interface()
    {
        var h = Switcher(SwitchMode.MakeBeforeBreak, nat: true);
        h.Accept();
        h.Advance(Every);
        Assert.Equal(1, h.Count(MetricNames.Disconnects)); // rebinding is a break, even when make-before-break was asked
        h.Advance(Gap);
        h.Advance(Backoff);
        Assert.Equal(RangeOf(h.Opener.Asked[0]), RangeOf(h.Opener.Asked[1]));
    }
}
