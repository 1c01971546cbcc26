using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

[Trait("Category", "Unit")]
public class OverrideTests
{
    [Fact]
    public void Scalar_overrides_replace_values()
    {
        var s = Valid(ContractExample, "clients=50", "messages.interval=500ms", "target=ws://127.0.0.1:9000/ws", "seed=7");
        Assert.Equal(50, s.Clients);
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Messages.Interval);
        Assert.Equal(64, s.Messages.Size);                       // siblings of an overridden key stay
        Assert.False(s.Target.IsEmbedded);
        Assert.Equal([new Uri("ws://127.0.0.1:9000/ws")], s.Target.Urls);
        Assert.Equal(7L, s.Seed);
        Assert.Equal([40, 10], s.Population.Select(g => g.Clients));   // apportioned after the override
    }

    [Fact]
    public void Index_paths_reach_into_lists()
    {
        var s = Valid(ContractExample, "population[1].flapping.cycles=3", "population[0].share=70%", "population[1].share=30%");
        Assert.Equal(3, s.Population[1].Flapping!.Cycles);
        Assert.Equal([700, 300], s.Population.Select(g => g.Clients));
    }

    [Fact]
    public void Missing_mapping_keys_are_created()
    {
        var s = Valid(Minimal, "network.profile=4g", "heartbeat.interval=5s", "auth.tokenUrl=http://127.0.0.1/token");
        Assert.Equal("4g", s.Network.Profile);
        Assert.Equal(TimeSpan.FromSeconds(5), s.Heartbeat.Interval);
        Assert.Equal("http://127.0.0.1/token", s.Auth!.TokenUrl);
    }

    [Fact]
    public void Flow_values_are_parsed_as_yaml()
    {
        var s = Valid(Minimal,
            "target=[ws://127.0.0.1:1/ws, ws://127.0.0.1:2/ws]",
            "reconnect={ policy: fixed, base: 1s, max: 1s }",
            "thresholds.connects=[\"count<10\", \"rate<1\"]",
            "name='quoted-name'");
        Assert.Equal(2, s.Target.Urls.Count);
        Assert.Equal("fixed", s.Reconnect.Policy);
        Assert.Equal(2, s.Thresholds.Count);
        Assert.Equal("quoted-name", s.Name);
    }

    [Fact]
    public void Appending_with_the_next_index_builds_a_population()
    {
        var s = Valid(Minimal,
            "population[0].name=a", "population[0].share=75%",
            "population[1]={ name: b, share: 25%, behavior: zombie, zombie: { kind: reset } }");
        Assert.Equal(["a", "b"], s.Population.Select(g => g.Name));
        Assert.Equal([8, 2], s.Population.Select(g => g.Clients));
        Assert.Equal("reset", s.Population[1].Zombie!.Kind);
    }

    [Fact]
    public void An_empty_value_unsets_an_optional_key()
    {
        var s = Valid(ContractExample, "seed=");
        Assert.Null(s.Seed);
    }

    [Fact]
    public void Invalid_value_is_reported_at_its_column_in_the_override()
    {
        var e = SingleError(Minimal, "clients=-3");
        Assert.Equal(new ScenarioError("--set", 1, 9, "clients", "must be from 1 to 1000000, got -3"), e);
        Assert.Equal("--set:1:9: clients: must be from 1 to 1000000, got -3", e.ToString());

        e = SingleError(ContractExample, "population[1].flapping.up=5s..2s");
        Assert.Equal(new ScenarioError("--set", 1, 27, "population[1].flapping.up", "the range's minimum 5s is above its maximum 2s"), e);
    }

    [Fact]
    public void Unknown_path_is_an_unknown_key_at_its_column()
    {
        var e = SingleError(Minimal, "messages.intervl=5s");
        Assert.Equal(new ScenarioError("--set", 1, 10, "messages.intervl", "unknown key 'intervl' - did you mean 'interval'?"), e);

        e = SingleError(Minimal, "clinets=5");
        Assert.Equal(new ScenarioError("--set", 1, 1, "clinets", "unknown key 'clinets' - did you mean 'clients'?"), e);
    }

    [Fact]
    public void Errors_in_a_flow_value_point_into_the_override()
    {
        var e = SingleError(Minimal, "reconnect={ policy: fixd }");
        Assert.Equal(new ScenarioError("--set", 1, 21, "reconnect.policy", "unknown reconnect policy 'fixd' - did you mean 'fixed'?; valid: exponential, fixed, immediate"), e);

        e = SingleError(Minimal, "thresholds.connects=[\"count=<1\"]");
        Assert.Equal(new ScenarioError("--set", 1, 28, "thresholds.connects[0]", "'=' alone is not an operator; use == to compare"), e);
    }

    [Theory]
    [InlineData("clients", 1, "clients", "expected KEY=VALUE, like clients=50 or messages.interval=500ms")]
    [InlineData("=5", 1, "", "expected KEY=VALUE, like clients=50 or messages.interval=500ms")]
    [InlineData("messages..size=5", 10, "messages..size", "expected a key name here")]
    [InlineData("population[x].share=5%", 11, "population[x].share", "expected a list index like [0]")]
    [InlineData("population[5].share=5%", 11, "population[5].share", "index 5 is out of range: population has 2 item(s); use [2] to add one")]
    [InlineData("name.first=x", 6, "name.first", "cannot set 'first': name is 'flapping-demo', not a mapping")]
    [InlineData("messages[0]=x", 9, "messages[0]", "cannot index [0]: messages is a mapping, not a list")]
    [InlineData("reconnect={ policy: [fixed }", 28, "reconnect.policy[0]", null)]
    public void Malformed_overrides_are_reported(string set, int column, string key, string? message)
    {
        var result = Parse(ContractExample, set);
        Assert.Null(result.Scenario);
        var e = Assert.Single(result.Errors);
        Assert.Equal(("--set", 1, column), (e.Source, e.Line, e.Column));
        Assert.Equal(key.Length == 0 ? "(root)" : key, e.Key);
        if (message is not null)
            Assert.Equal(message, e.Message);
    }

    [Fact]
    public void File_errors_come_before_override_errors_and_both_are_reported()
    {
        var result = Parse("name: t\ntarget: embedded\nclients: 10\nduration: 10s\nrampUp: 1\n", "clients=0");
        Assert.Equal(["test.yaml:5:9: rampUp", "--set:1:9: clients"], result.Errors.Select(e => $"{e.Source}:{e.Line}:{e.Column}: {e.Key}"));
    }

    [Fact]
    public void Overrides_apply_in_order()
    {
        var s = Valid(Minimal, "clients=20", "clients=30");
        Assert.Equal(30, s.Clients);
    }
}
