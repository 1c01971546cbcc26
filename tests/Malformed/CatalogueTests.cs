using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Behaviors;
using SimCluster.Transport;
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
        Assert.Equal([.. Enumerable.Range(1, 25).Select(i => $"F{i:00}"), .. Enumerable.Range(1, 8).Select(i => $"A{i:00}"),
            "S01", "S02", "S03", "G01", "G02", "G03", "G04"], CaseCatalogue.All.Select(c => c.Id));
    }

    [Fact]
    public void A_protocol_case_belongs_to_its_protocol_in_the_catalogue_and_the_vocabulary_alike()
    {
        var vocab = ScenarioVocabulary.Default;
        Assert.All(CaseCatalogue.All, c => Assert.Equal(c.Protocol, vocab.ProtocolCases.TryGetValue(c.Id, out var p) ? p : null));
        Assert.Equal(CaseCatalogue.All.Where(c => c.Protocol is null), CaseCatalogue.AnyServer);
        Assert.Equal(33, CaseCatalogue.AnyServer.Count);
        Assert.Equal([.. CaseCatalogue.AnyServer.Select(c => c.Id), "S01", "S02", "S03"], CaseCatalogue.For(ProtocolKind.Socketio).Select(c => c.Id));
        Assert.Equal([.. CaseCatalogue.AnyServer.Select(c => c.Id), "G01", "G02", "G03", "G04"], CaseCatalogue.For(ProtocolKind.GraphqlWs).Select(c => c.Id));
        Assert.Equal(CaseCatalogue.AnyServer, CaseCatalogue.For(ProtocolKind.Echo));
    }

    [Theory]
    [InlineData("S01", "close (any code) or drop")]
    [InlineData("S02", "close (any code) or drop")]
    [InlineData("S03", "answer CONNECT_ERROR (44) for the namespace, keep serving")]
    [InlineData("G01", "close 4401")]
    [InlineData("G02", "close 4409")]
    [InlineData("G03", "close 4400")]
    [InlineData("G04", "close 4429")]
    public void Each_protocol_case_states_what_its_protocol_says_a_server_does(string id, string expected) =>
        Assert.Equal(expected, CaseCatalogue.Get(id).Expected.Describe());

    [Theory]
    [InlineData("S01")]
    [InlineData("S02")]
    [InlineData("S03")]
    [InlineData("G01")]
    [InlineData("G02")]
    [InlineData("G03")]
    [InlineData("G04")]
    public async Task A_protocol_case_in_a_run_of_another_protocol_does_not_apply_and_connects_nowhere(string id)
    {
        // Port 9 on loopback: nothing listens, so any connection attempt would fail the case instead.
        var echo = new CaseContext { Connect = new ConnectOptions { Target = new Uri("ws://127.0.0.1:9/ws"), ConnectTimeout = TimeSpan.FromSeconds(1) } };
        var @case = CaseCatalogue.Get(id);
        var run = await CaseRunner.RunAsync(@case, echo, CancellationToken.None);
        Assert.Null(run.ConnectError);
        Assert.Equal(@case.Variants.Count, run.Observations.Count);
        Assert.All(run.Observations, o => Assert.Equal(Reaction.NotApplicable, o.Reaction));
        Assert.All(run.Observations, o => Assert.Equal($"the run's protocol is not {@case.Protocol!.Value.Spelled()}", o.Detail));
        Assert.Equal(Verdict.NotApplicable, SimCluster.Grains.Attacks.CaseGrader.Grade(@case, run.Observations).Verdict);
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
