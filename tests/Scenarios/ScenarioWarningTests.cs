using SimCluster.Scenarios;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Scenarios;

/// <summary>
/// Keys that are valid but have no effect as written: each is a warning at the key's exact position, and a
/// warning never makes a scenario invalid.
/// </summary>
[Trait("Category", "Unit")]
public class ScenarioWarningTests
{
    /// <summary>The scenario loads, and these are all its warnings.</summary>
    private static IReadOnlyList<ScenarioWarning> Warnings(string yaml, params string[] sets)
    {
        var result = Parse(yaml, sets);
        Assert.True(result.Ok, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        return result.Warnings;
    }

    private static ScenarioWarning SingleWarning(string yaml, params string[] sets) => Assert.Single(Warnings(yaml, sets));

    private const string Immediate = "ignored: policy immediate does not read {0} (it retries at once, without a wait)";

    [Fact]
    public void Immediate_policy_ignores_base_max_and_jitter()
    {
        var warnings = Warnings(Minimal + "\nreconnect:\n  policy: immediate\n  base: 1s\n  max: 5s\n  jitter: none\n  maxAttempts: 3\n");

        Assert.Equal(
            [
                new ScenarioWarning(Source, 7, 3, "reconnect.base", string.Format(Immediate, "base")),
                new ScenarioWarning(Source, 8, 3, "reconnect.max", string.Format(Immediate, "max")),
                new ScenarioWarning(Source, 9, 3, "reconnect.jitter", string.Format(Immediate, "jitter")),
            ],
            warnings);
    }

    [Fact]
    public void Fixed_policy_ignores_max_only()
    {
        var w = SingleWarning(Minimal + "\nreconnect: { policy: fixed, base: 1s, max: 5s, jitter: equal }\n");

        Assert.Equal(new ScenarioWarning(Source, 5, 39, "reconnect.max", "ignored: policy fixed does not read max (it waits base, with jitter, before every attempt)"), w);
        Assert.Equal("test.yaml:5:39: reconnect.max: ignored: policy fixed does not read max (it waits base, with jitter, before every attempt)", w.ToString());
    }

    [Fact]
    public void Fixed_policy_with_a_base_above_the_default_max_is_valid_because_max_is_not_read()
    {
        var s = Valid(Minimal + "\nreconnect: { policy: fixed, base: 60s }\n");
        Assert.Equal(TimeSpan.FromSeconds(60), s.Reconnect.Base);
        Assert.Empty(Parse(Minimal + "\nreconnect: { policy: fixed, base: 60s }\n").Warnings);
    }

    [Fact]
    public void Exponential_policy_reads_every_key_and_still_checks_max_against_base()
    {
        Assert.Empty(Warnings(Minimal + "\nreconnect: { policy: exponential, base: 1s, max: 5s, jitter: none, maxAttempts: 3 }\n"));
        var e = SingleError(Minimal + "\nreconnect: { policy: exponential, base: 10s, max: 5s }\n");
        Assert.Equal("reconnect.max", e.Key);
    }

    [Fact]
    public void A_policy_set_by_an_override_warns_about_the_file_keys_it_ignores()
    {
        var w = SingleWarning(Minimal + "\nreconnect:\n  base: 1s\n  max: 5s\n", "reconnect.policy=fixed");
        Assert.Equal(new ScenarioWarning(Source, 7, 3, "reconnect.max", "ignored: policy fixed does not read max (it waits base, with jitter, before every attempt)"), w);
    }

    private const string Switching = Minimal + "\npopulation:\n  - name: movers\n    behavior: switching\n    switching:\n      interfaces: [wifi-good, 4g]\n";

    [Fact]
    public void Gap_is_ignored_by_make_before_break()
    {
        var w = SingleWarning(Switching + "      mode: make-before-break\n      gap: 200ms\n");
        Assert.Equal(new ScenarioWarning(Source, 11, 7, "population[0].switching.gap",
            "ignored: make-before-break opens the new path before the old one dies, so there is no gap; gap applies to break-before-make"), w);
    }

    [Fact]
    public void Gap_with_break_before_make_is_read()
    {
        Assert.Empty(Warnings(Switching + "      mode: break-before-make\n      gap: 200ms\n"));
        Assert.Empty(Warnings(Switching + "      gap: 200ms\n"));
    }

    [Fact]
    public void Nat_rebinding_ignores_make_before_break_and_reads_the_gap()
    {
        var w = SingleWarning(Switching + "      natRebinding: true\n      mode: make-before-break\n      gap: 200ms\n");
        Assert.Equal(new ScenarioWarning(Source, 11, 7, "population[0].switching.mode",
            "ignored: with natRebinding: true the client always switches break-before-make (the old port dies, then it reconnects from a new one)"), w);
    }

    private const string EmbeddedWarning =
        "ignored: embeddedTarget configures the reference target a run starts with target: embedded, and the target is 'ws://127.0.0.1:9000/ws'";

    [Fact]
    public void Embedded_target_settings_are_ignored_with_a_url_target()
    {
        var w = SingleWarning(Minimal.Replace("target: embedded", "target: ws://127.0.0.1:9000/ws") + "\nembeddedTarget: { echoDelay: 10ms }\n");
        Assert.Equal(new ScenarioWarning(Source, 5, 1, "embeddedTarget", EmbeddedWarning), w);
    }

    [Fact]
    public void Embedded_target_settings_are_ignored_when_an_override_replaces_the_target()
    {
        const string yaml = Minimal + "\nembeddedTarget:\n  heartbeatInterval: 1s\n";
        Assert.Empty(Warnings(yaml));

        // --target URL reaches the binder as this override.
        var w = SingleWarning(yaml, "target=ws://127.0.0.1:9000/ws");
        Assert.Equal(new ScenarioWarning(Source, 5, 1, "embeddedTarget", EmbeddedWarning), w);
    }

    private const string Zombies = "name: t\ntarget: embedded\nclients: 10\nduration: 10s\npopulation:\n  - name: z\n    behavior: zombie\n    zombie:\n      kind: silent-app\n";

    private const string Unobserved = "zombies the run's end cuts off are counted zombies_unobserved, not watched to a verdict";

    [Fact]
    public void A_zombie_watch_longer_than_the_run_warns_at_observe_for()
    {
        var w = SingleWarning(Zombies + "      after: 5s\n      observeFor: 6s\n");
        Assert.Equal(new ScenarioWarning(Source, 11, 7, "population[0].zombie.observeFor",
            $"after (5s) + observeFor (6s) = 11s is longer than the run (duration 10s): {Unobserved}"), w);
    }

    [Fact]
    public void A_zombie_watch_that_ends_with_the_run_is_fine()
    {
        Assert.Empty(Warnings(Zombies + "      after: 5s\n      observeFor: 5s\n"));
    }

    [Fact]
    public void The_default_observe_for_is_counted_and_the_warning_goes_to_after()
    {
        var w = SingleWarning(Zombies + "      after: 2s\n");
        Assert.Equal(new ScenarioWarning(Source, 10, 7, "population[0].zombie.after",
            $"after (2s) + observeFor (30s) = 32s is longer than the run (duration 10s): {Unobserved}"), w);
    }

    [Fact]
    public void Ramp_up_shortens_the_room_a_late_client_has_to_watch_its_zombie()
    {
        var yaml = Zombies.Replace("duration: 10s", "duration: 10s\nrampUp: 2s") + "      after: 5s\n      observeFor: 4s\n";
        var w = SingleWarning(yaml);
        Assert.Equal(new ScenarioWarning(Source, 12, 7, "population[0].zombie.observeFor",
            $"after (5s) + observeFor (4s) = 9s is longer than the 8s a client starting at the end of rampUp has (duration 10s - rampUp 2s): {Unobserved}"), w);
    }

    [Fact]
    public void A_duration_override_is_what_the_zombie_watch_is_checked_against()
    {
        const string yaml = Zombies + "      after: 5s\n      observeFor: 5s\n";
        Assert.Empty(Warnings(yaml));
        var w = SingleWarning(yaml, "duration=8s");
        Assert.Equal((11, 7, "population[0].zombie.observeFor"), (w.Line, w.Column, w.Key));
        Assert.Contains("= 10s is longer than the run (duration 8s)", w.Message);
    }

    private const string Auth = Minimal + "\nauth:\n  jwt: { secretEnv: SIM_JWT_SECRET, lifetime: 60s }\n  refresh:\n";

    [Fact]
    public void Mode_none_ignores_every_refresh_timing_key()
    {
        var warnings = Warnings(Auth + "    mode: none\n    before: 10s\n    timeout: 5s\n    replayOld: true\n");
        Assert.Equal(
            [
                new ScenarioWarning(Source, 9, 5, "auth.refresh.before", "ignored: mode none never refreshes the token, so before has no effect"),
                new ScenarioWarning(Source, 10, 5, "auth.refresh.timeout", "ignored: mode none never refreshes the token, so timeout has no effect"),
                new ScenarioWarning(Source, 11, 5, "auth.refresh.replayOld", "ignored: mode none never refreshes the token, so replayOld has no effect"),
            ],
            warnings);
    }

    [Fact]
    public void Late_refresh_ignores_before()
    {
        var w = SingleWarning(Auth + "    mode: in-band\n    before: 10s\n    late: 2s\n");
        Assert.Equal(new ScenarioWarning(Source, 9, 5, "auth.refresh.before",
            "ignored: with late set, the refresh happens late after the token expires, not before it"), w);
    }

    [Fact]
    public void Replay_old_applies_to_in_band_refresh_only()
    {
        var w = SingleWarning(Auth + "    mode: reconnect\n    replayOld: true\n");
        Assert.Equal(new ScenarioWarning(Source, 9, 5, "auth.refresh.replayOld",
            "ignored: replayOld sends the old token again after an in-band refresh; it applies to mode: in-band only"), w);
        Assert.Empty(Warnings(Auth + "    mode: in-band\n    replayOld: true\n"));
    }

    [Fact]
    public void Protocol_none_ignores_the_message_keys_except_max_receive_size()
    {
        var warnings = Warnings(Minimal + "\nprotocol: none\nmessages:\n  interval: 1s\n  size: 64\n  lossTimeout: 2s\n  maxReceiveSize: 4096\n");
        Assert.Equal(
            [
                new ScenarioWarning(Source, 7, 3, "messages.interval", "ignored: protocol none sends no application messages, so interval has no effect"),
                new ScenarioWarning(Source, 8, 3, "messages.size", "ignored: protocol none sends no application messages, so size has no effect"),
                new ScenarioWarning(Source, 9, 3, "messages.lossTimeout", "ignored: protocol none sends no application messages, so lossTimeout has no effect"),
            ],
            warnings);
    }

    [Fact]
    public void Interval_zero_ignores_size_and_loss_timeout()
    {
        var warnings = Warnings(Minimal + "\nmessages: { interval: 0s, size: 64, lossTimeout: 2s }\n");
        Assert.Equal(
            [
                new ScenarioWarning(Source, 5, 27, "messages.size", "ignored: interval 0s sends no application messages, so size has no effect"),
                new ScenarioWarning(Source, 5, 37, "messages.lossTimeout", "ignored: interval 0s sends no application messages, so lossTimeout has no effect"),
            ],
            warnings);
        Assert.Empty(Warnings(Minimal + "\nmessages: { interval: 1s, size: 64, lossTimeout: 2s }\n"));
    }

    [Fact]
    public void A_file_with_only_warnings_validates()
    {
        var result = Parse(Minimal + "\nreconnect: { policy: immediate, base: 1s }\n");
        Assert.True(result.Ok);
        Assert.NotNull(result.Scenario);
        Assert.Empty(result.Errors);
        Assert.Single(result.Warnings);
        Assert.Equal("immediate", result.Scenario!.Reconnect.Policy);
    }

    [Fact]
    public void Errors_and_warnings_are_listed_together()
    {
        var result = Parse("name: t\ntarget: embedded\nclients: -5\nduration: 10s\nreconnect: { policy: immediate, base: 1s }\nmessages: { intervl: 1s }\n");
        Assert.False(result.Ok);
        Assert.Null(result.Scenario);
        Assert.Equal([(3, "clients"), (6, "messages.intervl")], result.Errors.Select(e => (e.Line, e.Key)));
        Assert.Equal(new ScenarioWarning(Source, 5, 33, "reconnect.base", string.Format(Immediate, "base")), Assert.Single(result.Warnings));
    }

    [Fact]
    public void A_valid_file_without_ignored_keys_has_no_warnings()
    {
        Assert.Empty(Warnings(ContractExample));
    }
}
