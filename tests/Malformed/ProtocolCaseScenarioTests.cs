using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Malformed;

/// <summary>A malformed group names protocol cases only with their protocol; <c>cases: all</c> takes the run protocol's own.</summary>
[Trait("Category", "Unit")]
public sealed class ProtocolCaseScenarioTests
{
    private static string Scenario(string protocol, string cases) => $$"""
        name: t
        target: ws://127.0.0.1:3000
        clients: 10
        duration: 10s
        protocol: {{protocol}}
        population:
          - { name: a, behavior: malformed, malformed: { cases: {{cases}} } }
        """;

    [Theory]
    [InlineData("echo", 33, "")]
    [InlineData("socketio", 36, "S")]
    [InlineData("graphql-ws", 37, "G")]
    public void All_is_every_case_for_any_server_and_the_protocols_own(string protocol, int count, string own)
    {
        var cases = Valid(Scenario(protocol, "all")).Population[0].Malformed!.Cases;
        Assert.Equal(count, cases.Count);
        Assert.All(cases, id => Assert.True(id[0] is 'F' or 'A' || id.StartsWith(own, StringComparison.Ordinal), id));
        Assert.Equal(count - 33, cases.Count(id => id[0] is 'S' or 'G'));
    }

    [Fact]
    public void A_protocols_cases_are_read_with_that_protocol()
    {
        Assert.Equal(["S01", "F01", "S03"], Valid(Scenario("socketio", "[S01, F01, S03]")).Population[0].Malformed!.Cases);
        Assert.Equal(["G02", "G04"], Valid(Scenario("graphql-ws", "[G02, G04]")).Population[0].Malformed!.Cases);
    }

    [Theory]
    [InlineData("echo", "[F01, S01]", 63, "population[0].malformed.cases[1]", "case S01 breaks the messages of protocol socketio, and the protocol is echo")]
    [InlineData("socketio", "[G02]", 58, "population[0].malformed.cases[0]", "case G02 breaks the messages of protocol graphql-ws, and the protocol is socketio")]
    [InlineData("graphql-ws", "[G05]", 58, "population[0].malformed.cases[0]", "G05")]
    public void A_case_of_another_protocol_is_an_error_where_it_is_listed(string protocol, string cases, int column, string key, string part)
    {
        var e = SingleError(Scenario(protocol, cases));
        Assert.Equal((Source, 7, column, key), (e.Source, e.Line, e.Column, e.Key));
        Assert.Contains(part, e.Message);
    }

    [Fact]
    public void The_vocabulary_knows_which_protocol_each_protocol_case_breaks()
    {
        var v = ScenarioVocabulary.Default;
        Assert.True(v.CaseApplies("F01", SimCluster.Abstractions.Plans.ProtocolKind.GraphqlWs));
        Assert.True(v.CaseApplies("S02", SimCluster.Abstractions.Plans.ProtocolKind.Socketio));
        Assert.False(v.CaseApplies("S02", SimCluster.Abstractions.Plans.ProtocolKind.Echo));
        Assert.False(v.CaseApplies("G01", SimCluster.Abstractions.Plans.ProtocolKind.Socketio));
        Assert.Equal(7, v.ProtocolCases.Count);
    }
}
