using SimCluster.Abstractions.Plans;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Scenarios;

/// <summary>The json block of protocol: json: what it binds to, and its errors with line and column.</summary>
[Trait("Category", "Unit")]
public sealed class JsonBlockBindingTests
{
    private const string Head = "name: x\ntarget: ws://127.0.0.1:9/ws\nclients: 1\nduration: 10s\nprotocol: json\n";

    [Fact]
    public void The_block_binds_into_the_plan_form()
    {
        var loaded = ScenarioLoader.Parse(Head + """
            json:
              send: '{"op":"add","id":{seq}}'
              correlate: { regex: '"re":(\d+)' }
              error: { path: status, value: 500 }
              pushes: { filter: { path: op, value: tick }, sequence: data.n }
              refresh: { message: '{"jwt":"{token}"}', expect: ok }
            """, "t.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var json = loaded.Scenario!.Json!;
        Assert.Equal("""{"op":"add","id":{seq}}""", json.Send);
        Assert.Equal("\"re\":(\\d+)", json.Correlate.Regex);
        Assert.Equal(new JsonMatchPlan { Path = "status", Value = "500" }, json.Error);
        Assert.Equal("data.n", json.PushSequence);
        Assert.Equal("ok", json.RefreshExpect);
    }

    [Theory]
    [InlineData("json:\n  send: '{\"id\":{seq},}'\n  correlate: { path: re }\n", 7, 9, "json.send", "is not valid JSON once")]
    [InlineData("json:\n  send: '{\"id\":{seq}}'\n  correlate: { path: 'a..b' }\n", 8, 22, "json.correlate.path", "is not a JSON path")]
    [InlineData("json:\n  send: '{\"id\":{seq}}'\n  correlate: { regex: '(' }\n", 8, 23, "json.correlate.regex", "is not a regular expression")]
    [InlineData("json:\n  send: '{\"id\":1}'\n  correlate: { path: re }\n", 7, 9, "json.send", "must contain {seq}")]
    [InlineData("heartbeat: { interval: 1s, appLevel: true }\njson:\n  send: '{\"id\":{seq}}'\n  correlate: { path: re }\n", 8, 3, "json", "needs json.heartbeat")]
    [InlineData("", 5, 1, "protocol", "needs a json block")]
    public void A_mistake_in_the_block_is_reported_where_it_is(string block, int line, int column, string key, string text)
    {
        var loaded = ScenarioLoader.Parse(Head + block, "t.yaml");
        Assert.False(loaded.Ok);
        var error = Assert.Single(loaded.Errors);
        Assert.Equal((line, column, key), (error.Line, error.Column, error.Key));
        Assert.Contains(text, error.Message);
    }
}
