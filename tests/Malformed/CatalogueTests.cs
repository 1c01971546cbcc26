using SimCluster.Grains.Behaviors;
using SimCluster.Scenarios;
using SimCluster.Transport.Malformed;

namespace SimCluster.Tests.Malformed;

/// <summary>The catalogue is complete, self-describing and matches the scenario vocabulary.</summary>
[Trait("Category", "Unit")]
public sealed class CatalogueTests
{
    [Fact]
    public void Every_case_id_a_scenario_may_name_has_a_case_and_no_more()
    {
        Assert.Equal(ScenarioVocabulary.Default.MalformedCases.Order(StringComparer.Ordinal), CaseCatalogue.Ids.Order(StringComparer.Ordinal));
        Assert.Equal([.. Enumerable.Range(1, 25).Select(i => $"F{i:00}"), .. Enumerable.Range(1, 8).Select(i => $"A{i:00}")], CaseCatalogue.All.Select(c => c.Id));
    }

    [Fact]
    public void Every_case_describes_itself_and_lives_in_its_own_class()
    {
        foreach (var c in CaseCatalogue.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Title), c.Id);
            Assert.False(string.IsNullOrWhiteSpace(c.RfcSection), c.Id);
            Assert.False(string.IsNullOrWhiteSpace(c.Expected.Describe()), c.Id);
            Assert.NotEmpty(c.Variants);
            Assert.Equal(c.Variants.Count, c.Variants.Distinct().Count());
            Assert.InRange(c.Deadline, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
            Assert.True(c.GetType().IsSealed, c.Id);
            Assert.StartsWith(c.Id, c.GetType().Name);
            Assert.Same(c, CaseCatalogue.Get(c.Id));
        }
    }

    [Fact]
    public void The_expected_behaviour_follows_REFERENCE_section_2()
    {
        string Expected(string id) => CaseCatalogue.Get(id).Expected.Describe();
        Assert.All(new[] { "F01", "F02", "F03", "F04", "F06", "F07", "F08", "F09", "F19", "F20" }, id => Assert.Equal("close 1002", Expected(id)));
        Assert.Equal("close 1002 or drop", Expected("F05")); // RFC 6455 5.1: MUST close, MAY send a Close frame first
        Assert.Equal("close 1007", Expected("F11"));
        Assert.Equal("close 1007", Expected("F12"));
        Assert.Equal("accept (echo)", Expected("F10"));
        Assert.Equal("accept (echo)", Expected("F13"));
        Assert.Equal("close 1002 or drop", Expected("F14"));
        Assert.Equal("close 1002/1007 or drop", Expected("F16"));
        Assert.StartsWith("clean close 1000", Expected("F18"));
        Assert.Equal("close 1009 (a limit)", Expected("F21"));
        Assert.Equal("close 1009/1008 (a limit)", Expected("F22"));
        Assert.Contains("426", Expected("F24"));
        Assert.Contains("1008", Expected("F25"));
        Assert.All(Enumerable.Range(1, 8), i => Assert.StartsWith("keep serving", Expected($"A{i:00}")));
    }

    [Fact]
    public void The_malformed_behaviour_is_registered()
    {
        Assert.Contains("malformed", BehaviorRegistry.Names);
        var behavior = BehaviorRegistry.Create(new SimCluster.Abstractions.Plans.GroupPlan
        {
            Name = "attackers", Behavior = "malformed", FirstClient = 0, Clients = 2,
            Malformed = new SimCluster.Abstractions.Plans.MalformedPlan { Cases = ["F01"] },
        });
        Assert.IsType<MalformedBehavior>(behavior);
        Assert.False(behavior.IsWellBehaved);
    }
}
