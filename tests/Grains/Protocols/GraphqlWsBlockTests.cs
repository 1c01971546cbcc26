using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>The graphqlWs block: every key read into the scenario, each invalid value an error where it is (line, column, key).</summary>
[Trait("Category", "Unit")]
public sealed class GraphqlWsBlockTests
{
    private const string Head = """
        name: t
        target: ws://127.0.0.1:4000/graphql
        clients: 10
        duration: 10s
        protocol: graphql-ws
        """;

    [Fact]
    public void Every_key_of_the_block_is_read()
    {
        var g = Valid(Head + "\n" + """
            graphqlWs:
              query: "subscription Ticks($every: Int) { ticks(every: $every) { seq } }"
              variables: '{"every": 50}'
              operationName: Ticks
              sequencePath: data.ticks.seq
              sendInit: false
              tokenField: authorization
            """).GraphqlWs!;
        Assert.Equal(("subscription Ticks($every: Int) { ticks(every: $every) { seq } }", """{"every": 50}""", "Ticks", false, "authorization"),
            (g.Query, g.Variables, g.OperationName, g.SendInit, g.TokenField));
        Assert.Equal(["data", "ticks", "seq"], g.SequencePath);
    }

    [Theory]
    [InlineData("graphqlWs: { query: \"  \" }", 21, "graphqlWs.query", "the query is empty")]
    [InlineData("graphqlWs: { variables: '[1]' }", 25, "graphqlWs.variables", "expected a JSON object as text")]
    [InlineData("graphqlWs: { variables: '{\"every\": ' }", 25, "graphqlWs.variables", "expected a JSON object as text")]
    [InlineData("graphqlWs: { sequencePath: 'data..seq' }", 28, "graphqlWs.sequencePath", "expected property names joined by dots")]
    [InlineData("graphqlWs: { sequencePath: ' data.seq' }", 28, "graphqlWs.sequencePath", "expected property names joined by dots")]
    [InlineData("graphqlWs: { sendInit: maybe }", 24, "graphqlWs.sendInit", "maybe")]
    [InlineData("graphqlWs: { tokenField: '' }", 26, "graphqlWs.tokenField", "the token field name is empty")]
    [InlineData("graphqlWs: { operationName: 'two words' }", 29, "graphqlWs.operationName", "expected a GraphQL name")]
    [InlineData("graphqlWs: { operationName: '1st' }", 29, "graphqlWs.operationName", "expected a GraphQL name")]
    [InlineData("graphqlWs: { query: [a] }", 21, "graphqlWs.query", "a GraphQL document")]
    [InlineData("graphqlWs: { querry: x }", 14, "graphqlWs.querry", "query")]
    [InlineData("graphqlWs: 5", 12, "graphqlWs", "expected")]
    public void An_invalid_value_is_an_error_where_it_is(string line, int column, string key, string part)
    {
        var e = SingleError(Head + "\n" + line + "\n");
        Assert.Equal((Source, 6, column, key), (e.Source, e.Line, e.Column, e.Key));
        Assert.Contains(part, e.Message);
    }
}
