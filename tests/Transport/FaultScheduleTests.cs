using Microsoft.Extensions.Time.Testing;
using SimCluster.Transport;
using SimCluster.Transport.Faults;

namespace SimCluster.Tests.Transport;

/// <summary>The arithmetic of each fault's Schedule, on fake time (no sockets).</summary>
[Trait("Category", "Unit")]
public sealed class FaultScheduleTests
{
    private readonly FakeTimeProvider _time = new();

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Latency_adds_its_fixed_delay_to_every_chunk()
    {
        var fault = new LatencyFault(Ms(40), _time);
        var now = _time.GetTimestamp();
        Assert.Equal(now + Ticks(Ms(40)), fault.Schedule(1, now));
        Assert.Equal(now + 5 + Ticks(Ms(40)), fault.Schedule(64 * 1024, now + 5));
        Assert.Equal("latency", fault.Name);
    }

    [Fact]
    public void Jitter_adds_a_seeded_delay_between_zero_and_its_bound()
    {
        var bound = Ticks(Ms(50));
        var fault = new JitterFault(Ms(50), new Random(4), _time);
        var extras = Enumerable.Range(0, 2000).Select(_ => fault.Schedule(100, 1_000_000)!.Value - 1_000_000).ToList();

        Assert.All(extras, e => Assert.InRange(e, 0, bound));
        Assert.True(extras.Max() - extras.Min() > bound * 0.9, "jitter should use its whole range");

        var again = new JitterFault(Ms(50), new Random(4), _time);
        Assert.Equal(extras, Enumerable.Range(0, 2000).Select(_ => again.Schedule(100, 1_000_000)!.Value - 1_000_000));
    }

    [Fact]
    public void Zero_jitter_passes_chunks_at_once() =>
        Assert.Equal(123, new JitterFault(TimeSpan.Zero, new Random(1), _time).Schedule(10, 123));

    [Fact]
    public void Bandwidth_serialises_chunks_one_after_another_at_its_rate()
    {
        // 8,000 bit/s = 1,000 bytes per second.
        var fault = new BandwidthFault(8_000, _time);
        var t0 = _time.GetTimestamp();

        Assert.Equal(t0 + Ticks(TimeSpan.FromSeconds(1)), fault.Schedule(1000, t0));
        // Arriving while the link is busy: waits for the first chunk, then takes its own time.
        Assert.Equal(t0 + Ticks(TimeSpan.FromSeconds(1.5)), fault.Schedule(500, t0));
        Assert.Equal(t0 + Ticks(TimeSpan.FromSeconds(1.6)), fault.Schedule(100, t0 + Ticks(TimeSpan.FromSeconds(1.2))));
        // After the link went idle, a chunk starts at its own due time.
        var later = t0 + Ticks(TimeSpan.FromSeconds(10));
        Assert.Equal(later + Ticks(TimeSpan.FromSeconds(0.25)), fault.Schedule(250, later));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void Bandwidth_must_be_positive(long bps) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BandwidthFault(bps, _time));

    [Fact]
    public void Loss_with_probability_zero_never_delays()
    {
        var fault = new LossFault(0, Ms(200), new Random(1), _time);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.Equal(i, fault.Schedule(1, i)));
    }

    [Fact]
    public void Loss_with_probability_one_costs_every_chunk_a_retransmission_timeout()
    {
        var fault = new LossFault(1, Ms(200), new Random(1), _time);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.Equal(i + Ticks(Ms(200)), fault.Schedule(1, i)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), LossFault.DefaultRetransmissionTimeout);
    }

    [Fact]
    public void Loss_delays_about_its_share_of_chunks()
    {
        var fault = new LossFault(0.1, Ms(200), new Random(1), _time);
        var delayed = Enumerable.Range(0, 10_000).Count(_ => fault.Schedule(1, 0) != 0);
        Assert.InRange(delayed, 800, 1200);
    }

    [Fact]
    public void Blackhole_passes_until_activated_then_holds_everything()
    {
        var fault = new BlackholeFault();
        Assert.False(fault.IsActive);
        Assert.Equal(42, fault.Schedule(10, 42));
        fault.Activate();
        Assert.True(fault.IsActive);
        Assert.Null(fault.Schedule(10, 42));
        Assert.Null(new BlackholeFault(active: true).Schedule(1, 1));
    }

    [Fact]
    public void Freeze_reads_passes_until_activated_then_holds_everything()
    {
        var fault = new FreezeReadsFault();
        Assert.Equal(7, fault.Schedule(3, 7));
        fault.Activate();
        Assert.True(fault.IsActive);
        Assert.Null(fault.Schedule(3, 7));
        Assert.Equal("freeze-reads", fault.Name);
    }

    [Fact]
    public void An_unshaped_link_has_no_faults()
    {
        Assert.Empty(FaultRegistry.ForLink(LinkProfile.Loopback, Direction.Up, new Random(1), _time));
        Assert.Empty(FaultRegistry.ForLink(LinkProfile.Loopback, Direction.Down, new Random(1), _time));
    }

    [Theory]
    [InlineData("ethernet", new[] { "latency" })]
    [InlineData("wifi-good", new[] { "bandwidth", "latency", "jitter", "loss" })]
    [InlineData("4g", new[] { "bandwidth", "latency", "jitter", "loss" })]
    [InlineData("satellite", new[] { "bandwidth", "latency", "jitter" })]
    public void A_profile_becomes_a_chain_in_serialise_travel_order(string profile, string[] names)
    {
        foreach (var direction in Enum.GetValues<Direction>())
        {
            var chain = FaultRegistry.ForLink(LinkProfiles.All[profile], direction, new Random(1), _time);
            Assert.Equal(names, chain.Select(f => f.Name));
        }
    }

    [Fact]
    public void Each_direction_gets_half_the_round_trip_and_its_own_bandwidth()
    {
        var link = LinkProfiles.All["4g"]; // 165 ms RTT, 9 Mbit/s down, 1.5 Mbit/s up
        var down = FaultRegistry.ForLink(link, Direction.Down, new Random(1), _time);
        var up = FaultRegistry.ForLink(link, Direction.Up, new Random(1), _time);

        Assert.Equal(Ticks(Ms(82.5)), down.Single(f => f.Name == "latency").Schedule(1, 0));
        var second = Ticks(TimeSpan.FromSeconds(1));
        Assert.InRange(down.Single(f => f.Name == "bandwidth").Schedule(9_000_000 / 8, 0)!.Value, second - 1, second + 1);
        Assert.InRange(up.Single(f => f.Name == "bandwidth").Schedule(1_500_000 / 8, 0)!.Value, second - 1, second + 1);
        var jitter = down.Single(f => f.Name == "jitter");
        Assert.All(Enumerable.Range(0, 500), _ => Assert.InRange(jitter.Schedule(1, 0)!.Value, 0, Ticks(Ms(7.5))));
    }

    [Fact]
    public void An_inline_link_with_only_one_direction_limited_shapes_only_that_direction()
    {
        var link = new LinkProfile("custom", TimeSpan.Zero, TimeSpan.Zero, BandwidthDownBps: 1_000_000, BandwidthUpBps: 0, Loss: 0);
        Assert.Equal(["bandwidth"], FaultRegistry.ForLink(link, Direction.Down, new Random(1), _time).Select(f => f.Name));
        Assert.Empty(FaultRegistry.ForLink(link, Direction.Up, new Random(1), _time));
        Assert.False(link.IsUnshaped);
    }

    [Fact]
    public void The_registry_names_every_fault()
    {
        Assert.Superset(
            new HashSet<string> { "bandwidth", "latency", "jitter", "loss", "blackhole", "freeze-reads" },
            FaultRegistry.Names.ToHashSet());
    }

    [Fact]
    public void The_named_link_profiles_are_all_there_and_consistent()
    {
        Assert.Superset(
            new HashSet<string> { "loopback", "ethernet", "wifi-good", "wifi-congested", "4g", "3g", "slow-3g", "edge", "satellite" },
            LinkProfiles.All.Keys.ToHashSet());
        foreach (var (name, profile) in LinkProfiles.All)
        {
            Assert.Equal(name, profile.Name);
            Assert.Equal(name == "loopback", profile.IsUnshaped);
            Assert.InRange(profile.Loss, 0, 1);
            Assert.True(profile.Latency >= TimeSpan.Zero && profile.Jitter >= TimeSpan.Zero);
        }
        Assert.Same(LinkProfile.Loopback, LinkProfiles.All["loopback"]);
        Assert.Equal(Ms(20), LinkProfiles.All["wifi-good"].Latency);
        Assert.Equal(30_000_000, LinkProfiles.All["wifi-good"].BandwidthDownBps);
    }
}
