using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class ApportionmentTests
{
    [Theory]
    [InlineData(1000, new[] { 80.0, 20.0 }, new[] { 800, 200 })]
    [InlineData(10, new[] { 33.34, 33.33, 33.33 }, new[] { 4, 3, 3 })]
    [InlineData(7, new[] { 50.0, 50.0 }, new[] { 4, 3 })]            // tie: the earlier group gets the extra client
    [InlineData(1, new[] { 10.0, 90.0 }, new[] { 0, 1 })]
    [InlineData(101, new[] { 12.5, 12.5, 25.0, 25.0, 25.0 }, new[] { 13, 13, 25, 25, 25 })]
    [InlineData(3, new[] { 60.0, 20.0, 20.0 }, new[] { 2, 1, 0 })]
    public void Largest_remainder_in_declaration_order(int total, double[] percents, int[] expected)
    {
        var shares = percents.Select(p => (decimal)p / 100m).ToList();
        Assert.Equal(expected, Apportionment.Split(total, shares));
    }

    [Fact]
    public void Counts_always_sum_to_the_total()
    {
        var rng = new Random(7);
        for (var round = 0; round < 500; round++)
        {
            var groups = rng.Next(1, 12);
            var weights = Enumerable.Range(0, groups).Select(_ => (decimal)rng.Next(1, 1000)).ToList();
            var total = rng.Next(0, 1_000_000);
            var counts = Apportionment.Split(total, weights);
            Assert.Equal(total, counts.Sum());
            Assert.All(counts, c => Assert.True(c >= 0));
            Assert.Equal(counts, Apportionment.Split(total, weights));   // deterministic
        }
    }

    [Fact]
    public void Loaded_groups_get_apportioned_clients()
    {
        var s = Valid("""
            name: split
            target: embedded
            clients: 999
            duration: 1m
            population:
              - { name: a, share: 33.3% }
              - { name: b, share: 33.3% }
              - { name: c, share: 33.4% }
            """);
        Assert.Equal([333, 333, 333], s.Population.Select(g => g.Clients));
        Assert.Equal(s.Clients, s.Population.Sum(g => g.Clients));
    }
}
