using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Behaviors;

namespace SimCluster.Tests.Grains.Behaviors;

[Trait("Category", "Unit")]
public sealed class BehaviorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static FlappingPlan Flapping(int cycles, params DropMode[] drops) => new()
    {
        Up = new DurationRangePlan(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
        Down = new DurationRangePlan(Ms(100), Ms(300)),
        Drops = drops.Length == 0 ? [DropMode.Reset] : drops,
        Cycles = cycles,
    };

    [Fact]
    public void Flapping_drops_exactly_cycles_times()
    {
        var behavior = new FlappingBehavior(Flapping(cycles: 3));
        var random = new Random(1);

        for (var drops = 0; drops < 3; drops++) Assert.NotNull(behavior.NextDrop(drops, random));
        Assert.Null(behavior.NextDrop(3, random));
        Assert.Null(behavior.NextDrop(4, random));
    }

    [Fact]
    public void Flapping_with_zero_cycles_flaps_until_the_run_ends()
    {
        var behavior = new FlappingBehavior(Flapping(cycles: 0));
        var random = new Random(1);
        for (var drops = 0; drops < 1000; drops++) Assert.NotNull(behavior.NextDrop(drops, random));
    }

    [Fact]
    public void Flapping_draws_up_and_down_times_from_their_ranges()
    {
        var behavior = new FlappingBehavior(Flapping(cycles: 0));
        var random = new Random(5);
        var drops = Enumerable.Range(0, 1000).Select(i => behavior.NextDrop(i, random)!).ToList();

        Assert.All(drops, d =>
        {
            Assert.InRange(d.After, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            Assert.InRange(d.Outage, Ms(100), Ms(300));
        });
        Assert.True(drops.Max(d => d.After) - drops.Min(d => d.After) > Ms(900), "up times should spread over the range");
        Assert.True(drops.Max(d => d.Outage) - drops.Min(d => d.Outage) > Ms(180), "outages should spread over the range");
    }

    [Fact]
    public void A_fixed_range_always_gives_its_value()
    {
        var plan = Flapping(cycles: 0) with { Up = new DurationRangePlan(Ms(500), Ms(500)), Down = new DurationRangePlan(Ms(200), Ms(100)) };
        var drop = new FlappingBehavior(plan).NextDrop(0, new Random(1))!;
        Assert.Equal(Ms(500), drop.After);
        Assert.Equal(Ms(200), drop.Outage); // max below min: the min
    }

    [Fact]
    public void Several_drop_modes_are_mixed_by_the_seeded_random_source()
    {
        var behavior = new FlappingBehavior(Flapping(0, DropMode.Close, DropMode.Reset, DropMode.Blackhole));
        var random = new Random(9);
        var modes = Enumerable.Range(0, 300).Select(i => behavior.NextDrop(i, random)!.Mode).ToList();

        foreach (var mode in Enum.GetValues<DropMode>())
        {
            var share = modes.Count(m => m == mode) / 300.0;
            Assert.InRange(share, 0.2, 0.47); // about a third each
        }
    }

    [Theory]
    [InlineData("close", DropMode.Close)]
    [InlineData("reset", DropMode.Reset)]
    [InlineData("blackhole", DropMode.Blackhole)]
    public void A_single_drop_mode_is_always_used(string name, DropMode mode)
    {
        var behavior = new FlappingBehavior(Flapping(0, Spelling.Parse<DropMode>(name)));
        var random = new Random(2);
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(mode, behavior.NextDrop(i, random)!.Mode));
    }

    [Fact]
    public void The_same_seed_gives_the_same_flapping_schedule()
    {
        var behavior = new FlappingBehavior(Flapping(0, DropMode.Close, DropMode.Reset, DropMode.Blackhole));
        List<PlannedDrop> Schedule(int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, 20).Select(i => behavior.NextDrop(i, random)!)];
        }
        Assert.Equal(Schedule(11), Schedule(11));
        Assert.NotEqual(Schedule(11), Schedule(12));
    }

    [Fact]
    public void An_unknown_drop_mode_is_refused()
    {
        Assert.Contains("unplug", Assert.Throws<ArgumentException>(() => Spelling.Parse<DropMode>("unplug")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlappingBehavior(Flapping(1, (DropMode)99)));
    }

    [Fact]
    public void Steady_never_drops_and_is_well_behaved()
    {
        var h = new Clients.ClientHarness(Clients.ClientHarness.Group("steady")).Started();
        h.Accept();
        h.Advance(TimeSpan.FromHours(1));
        Assert.Equal(SimCluster.Grains.Clients.ClientState.Open, h.Client.State);
        Assert.Equal(["connect", "attach c1"], h.Log);
        var steady = new SteadyBehavior();
        Assert.True(steady.IsWellBehaved);
        Assert.Equal("steady", steady.Name);
        Assert.True(new FlappingBehavior(Flapping(1)).IsWellBehaved);
    }

    [Fact]
    public void The_registry_builds_behaviours_by_name()
    {
        var steady = BehaviorRegistry.Create(new GroupPlan { Name = "s", Behavior = "steady", FirstClient = 0, Clients = 1 });
        Assert.IsType<SteadyBehavior>(steady);
        var flapping = BehaviorRegistry.Create(new GroupPlan { Name = "f", Behavior = "flapping", FirstClient = 1, Clients = 1, Flapping = Flapping(2) });
        Assert.IsType<FlappingBehavior>(flapping);
        Assert.Contains("steady", BehaviorRegistry.Names);
        Assert.Contains("flapping", BehaviorRegistry.Names);
    }

    [Fact]
    public void Every_behaviour_of_the_scenario_vocabulary_is_in_the_registry_and_no_other() =>
        Assert.Equal(SimCluster.Scenarios.ScenarioVocabulary.Default.Behaviors.Order(), BehaviorRegistry.Names.Order());

    [Fact]
    public void The_registry_refuses_flapping_without_its_block_and_unknown_behaviours()
    {
        var noBlock = Assert.Throws<ArgumentException>(() => BehaviorRegistry.Create(new GroupPlan { Name = "f", Behavior = "flapping", FirstClient = 0, Clients = 1 }));
        Assert.Contains("'f'", noBlock.Message);
        var unknown = Assert.Throws<ArgumentException>(() => BehaviorRegistry.Create(new GroupPlan { Name = "x", Behavior = "teleporting", FirstClient = 0, Clients = 1 }));
        Assert.Contains("teleporting", unknown.Message);
    }
}
