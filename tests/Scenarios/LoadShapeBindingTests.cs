using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

/// <summary><c>stages</c> and <c>connectRate</c>: how they read, scale with overrides, and where they are refused or warned about.</summary>
[Trait("Category", "Unit")]
public class LoadShapeBindingTests
{
    private const string Head = "name: t\ntarget: embedded\n";

    [Fact]
    public void Stages_read_absolute_and_as_shares_of_clients_and_duration()
    {
        var s = Valid(Head + "clients: 200\nduration: 40s\nstages:\n  - { duration: 25%, clients: 50% }\n  - { duration: 10s, clients: 100% }\n  - { duration: 5s, clients: 0 }\n");

        Assert.Equal([new StageSpec(TimeSpan.FromSeconds(10), 100), new StageSpec(TimeSpan.FromSeconds(10), 200), new StageSpec(TimeSpan.FromSeconds(5), 0)], s.Stages);
    }

    [Fact]
    public void Shares_scale_with_clients_and_duration_overrides()
    {
        var s = Valid(Head + "clients: 200\nduration: 40s\nstages:\n  - { duration: 25%, clients: 50% }\n  - { duration: 75%, clients: 100% }\n", "clients=20", "duration=8s");

        Assert.Equal([new StageSpec(TimeSpan.FromSeconds(2), 10), new StageSpec(TimeSpan.FromSeconds(6), 20)], s.Stages);
    }

    [Fact]
    public void With_stages_clients_and_duration_may_be_left_out()
    {
        var s = Valid(Head + "stages:\n  - { duration: 5s, clients: 30 }\n  - { duration: 10s, clients: 30 }\n  - { duration: 5s, clients: 0 }\n");

        Assert.Equal(30, s.Clients);
        Assert.Equal(TimeSpan.FromSeconds(20), s.Duration);
    }

    [Fact]
    public void A_rise_after_a_fall_is_refused_at_the_stage_that_rises()
    {
        var e = SingleError(Head + "clients: 10\nduration: 30s\nstages:\n  - { duration: 5s, clients: 10 }\n  - { duration: 5s, clients: 2 }\n  - { duration: 5s, clients: 10 }\n");

        Assert.Equal((8, 30, "stages[2].clients"), (e.Line, e.Column, e.Key));
        Assert.Contains("rises to 10 after stages[1] fell to 2", e.Message);
    }

    [Fact]
    public void Stages_longer_than_duration_are_refused_at_the_stage_that_overruns()
    {
        var e = SingleError(Head + "clients: 10\nduration: 8s\nstages:\n  - { duration: 5s, clients: 10 }\n  - { duration: 5s, clients: 0 }\n");

        Assert.Equal((7, 5, "stages[1]"), (e.Line, e.Column, e.Key));
        Assert.Contains("the stages run 10s, longer than duration 8s", e.Message);
    }

    [Fact]
    public void A_peak_other_than_clients_is_refused()
    {
        var e = SingleError(Head + "clients: 10\nduration: 30s\nstages:\n  - { duration: 5s, clients: 8 }\n");

        Assert.Equal("stages", e.Key);
        Assert.Contains("the highest stage target is 8 but clients is 10", e.Message);
    }

    [Theory]
    [InlineData("  - { duration: 5s }\n", "stages[0].clients", "missing required key 'clients'")]
    [InlineData("  - { duration: 0s, clients: 10 }\n", "stages[0].duration", "")]
    [InlineData("  - { duration: 5s, clients: 150% }\n", "stages[0].clients", "at most 100%")]
    [InlineData("  - { duration: 5s, clients: 10, ramp: linear }\n", "stages[0].ramp", "unknown key 'ramp'")]
    public void Bad_stages_name_the_key(string stage, string key, string message)
    {
        var e = SingleError(Head + "clients: 10\nduration: 30s\nstages:\n" + stage);

        Assert.Equal(key, e.Key);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_empty_list_of_stages_is_an_error()
    {
        var e = SingleError(Head + "clients: 10\nduration: 30s\nstages: []\n");

        Assert.Equal("stages", e.Key);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void A_share_of_clients_without_clients_is_an_error()
    {
        var e = SingleError(Head + "duration: 30s\nstages:\n  - { duration: 5s, clients: 50% }\n");

        Assert.Equal("stages[0].clients", e.Key);
        Assert.Contains("a share of clients needs clients", e.Message);
    }

    [Fact]
    public void RampUp_beside_stages_is_a_warning_on_rampUp()
    {
        var result = Parse(Head + "clients: 10\nduration: 30s\nrampUp: 5s\nstages:\n  - { duration: 5s, clients: 10 }\n");

        Assert.True(result.Ok, string.Join("\n", result.Errors));
        var w = Assert.Single(result.Warnings);
        Assert.Equal((5, 1, "rampUp"), (w.Line, w.Column, w.Key));
        Assert.Contains("ignored: stages set the load shape", w.Message);
    }

    [Theory]
    [InlineData("50/s", 50)]
    [InlineData("600/m", 10)]
    [InlineData("2.5", 2.5)]
    public void ConnectRate_reads_per_second_and_per_minute(string text, double perSecond)
    {
        var s = Valid(Minimal + $"\nconnectRate: {text}\n");

        Assert.Equal(perSecond, s.ConnectRate!.Value, 6);
    }

    [Theory]
    [InlineData("50/h", "unknown rate unit 'h'")]
    [InlineData("0/s", "must be above 0")]
    [InlineData("fast", "expected an arrival rate")]
    public void Bad_connect_rates_are_errors(string text, string message)
    {
        var e = SingleError(Minimal + $"\nconnectRate: {text}\n");

        Assert.Equal("connectRate", e.Key);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_connect_rate_slower_than_the_ramp_is_a_warning()
    {
        var result = Parse(Minimal + "\nrampUp: 1s\nconnectRate: 2/s\n");

        Assert.True(result.Ok, string.Join("\n", result.Errors));
        var w = Assert.Single(result.Warnings);
        Assert.Equal("connectRate", w.Key);
        Assert.Contains("2/s is slower than the rampUp (10/s)", w.Message);
    }

    [Fact]
    public void A_connect_rate_that_starts_clients_after_the_run_is_a_warning_naming_how_many()
    {
        var result = Parse(Minimal + "\nconnectRate: 0.5/s\n"); // 10 clients in 10 s at one per 2 s: 5 never start

        var w = Assert.Single(result.Warnings);
        Assert.Contains("5 of 10 clients would start only after their stage or the run ended", w.Message);
    }
}
