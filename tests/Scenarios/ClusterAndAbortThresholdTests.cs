using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

/// <summary><c>cluster.onSiloLoss</c> and k6's long threshold form (<c>abortOnFail</c>, <c>delayAbortEval</c>).</summary>
public sealed class ClusterAndAbortThresholdTests
{
    [Fact]
    public void Lost_clients_are_reactivated_unless_the_scenario_says_count()
    {
        Assert.True(Valid(Minimal).Cluster.ReactivateLostClients);
        Assert.True(Valid(Minimal + "\ncluster: { onSiloLoss: reactivate }").Cluster.ReactivateLostClients);
        Assert.False(Valid(Minimal + "\ncluster: { onSiloLoss: count }").Cluster.ReactivateLostClients);
    }

    [Fact]
    public void An_unknown_silo_loss_policy_names_its_key_and_position()
    {
        var error = SingleError(Minimal + "\ncluster: { onSiloLoss: reactivat }");
        Assert.Equal("cluster.onSiloLoss", error.Key);
        Assert.Equal(5, error.Line);
        Assert.Contains("reactivate", error.Message);
    }

    [Fact]
    public void The_long_form_carries_abort_on_fail_and_its_delay()
    {
        var s = Valid(Minimal + """

            thresholds:
              messages_lost:
                - "count==0"
                - { threshold: "count<5", abortOnFail: true, delayAbortEval: 10s }
            """);
        Assert.Collection(s.Thresholds,
            t => Assert.False(t.AbortOnFail),
            t =>
            {
                Assert.Equal("count<5", t.Expression);
                Assert.True(t.AbortOnFail);
                Assert.Equal(TimeSpan.FromSeconds(10), t.DelayAbortEval);
                Assert.Equal(8, t.Line);
            });
    }

    [Theory]
    [InlineData("{ abortOnFail: true }", "thresholds.messages_lost[0].threshold", "threshold")]
    [InlineData("{ threshold: \"count<5\", abortOnFial: true }", "thresholds.messages_lost[0].abortOnFial", "abortOnFail")]
    [InlineData("{ threshold: \"count<<5\" }", "thresholds.messages_lost[0].threshold", "")]
    [InlineData("{ threshold: \"count<5\", delayAbortEval: soon }", "thresholds.messages_lost[0].delayAbortEval", "soon")]
    public void Mistakes_in_the_long_form_name_their_key(string item, string key, string mentioned)
    {
        var error = SingleError(Minimal + $"\nthresholds:\n  messages_lost:\n    - {item}");
        Assert.Equal(key, error.Key);
        Assert.Equal(7, error.Line);
        Assert.Contains(mentioned, error.Message);
    }

    private const string WithAuth = Minimal + """

        auth:
          jwt: { secretEnv: SIM_JWT_SECRET, lifetime: 60s }
          refresh:
        """ + "\n";

    [Fact]
    public void A_custom_refresh_frame_comes_with_its_acknowledgement()
    {
        var s = Valid(WithAuth + "    message: '{\"op\":\"reauth\",\"jwt\":\"{token}\"}'\n    expect: reauthed\n    reject: denied");
        Assert.Equal("{\"op\":\"reauth\",\"jwt\":\"{token}\"}", s.Auth!.Refresh.Message);
        Assert.Equal("reauthed", s.Auth.Refresh.Expect);
        Assert.Equal("denied", s.Auth.Refresh.Reject);
    }

    [Theory]
    [InlineData("    message: reauth\n    expect: ok", "auth.refresh.message", "{token}")]
    [InlineData("    message: 'reauth {token}'", "auth.refresh.message", "expect")]
    [InlineData("    expect: ok", "auth.refresh.expect", "message")]
    [InlineData("    mode: reconnect\n    message: 'reauth {token}'\n    expect: ok", "auth.refresh.message", "in-band")]
    public void Custom_refresh_mistakes_name_their_key(string lines, string key, string mentioned)
    {
        var error = SingleError(WithAuth + lines);
        Assert.Equal(key, error.Key);
        Assert.Contains(mentioned, error.Message);
    }
}
