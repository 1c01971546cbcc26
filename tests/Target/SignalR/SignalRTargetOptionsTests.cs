using SimCluster.Scenarios;
using SimCluster.Target;
using static SimCluster.Tests.Scenarios.ScenarioTestHelpers;

namespace SimCluster.Tests.Target.SignalR;

/// <summary>The hub's settings: the target's validation, the scenario's embeddedTarget.signalr block, and the arguments between them.</summary>
[Trait("Category", "Unit")]
public sealed class SignalRTargetOptionsTests
{
    [Fact]
    public void The_scenario_knows_the_targets_own_defaults()
    {
        var target = new SignalRTargetOptions();
        var spec = EmbeddedSignalRSpec.TargetDefaults;
        Assert.Equal(target.Path, spec.Path);
        Assert.Equal(target.KeepAliveInterval, spec.KeepAliveInterval);
        Assert.Equal(target.ClientTimeout, spec.ClientTimeout);
        Assert.Equal(target.PushInterval, spec.PushInterval);
        Assert.Equal(target.StatefulReconnect, spec.StatefulReconnect);
        Assert.Equal(target.StatefulReconnectBufferSize, spec.StatefulReconnectBufferSize);
        Assert.Equal(target.ReconnectWindow, spec.ReconnectWindow);
        Assert.Empty(new TargetOptions().Validate());
    }

    [Fact]
    public void Every_bad_hub_setting_is_reported_at_once_and_names_its_option()
    {
        var errors = new TargetOptions
        {
            SignalR = new SignalRTargetOptions
            {
                Path = "/ws",
                KeepAliveInterval = TimeSpan.Zero,
                ClientTimeout = TimeSpan.FromSeconds(-1),
                PushInterval = TimeSpan.FromSeconds(-1),
                StatefulReconnectBufferSize = 0,
                ReconnectWindow = TimeSpan.Zero,
            },
        }.Validate();
        string[] flags = ["--signalr-path:", "--signalr-keep-alive:", "--signalr-client-timeout:", "--signalr-push-interval:", "--signalr-stateful-buffer:", "--signalr-reconnect-window:"];
        Assert.Equal(flags.Length, errors.Count);
        foreach (var flag in flags) Assert.Contains(errors, e => e.StartsWith(flag, StringComparison.Ordinal));
        Assert.Contains(new TargetOptions { SignalR = new SignalRTargetOptions { Path = "/metrics" } }.Validate(), e => e.Contains("reserved", StringComparison.Ordinal));
    }

    [Fact]
    public void The_block_becomes_the_targets_command_line_options()
    {
        var scenario = Valid(Minimal + "\nembeddedTarget:\n  signalr:\n    path: /chat\n    keepAliveInterval: 500ms\n    clientTimeout: 3s\n" +
                             "    pushInterval: 250ms\n    statefulReconnect: false\n    statefulReconnectBufferSize: 1000\n    reconnectWindow: 5s\n");
        Assert.Equal(
            ["--signalr-path", "/chat", "--signalr-keep-alive", "500ms", "--signalr-client-timeout", "3s", "--signalr-push-interval", "250ms",
             "--signalr-no-stateful-reconnect", "--signalr-stateful-buffer", "1000", "--signalr-reconnect-window", "5s"],
            scenario.EmbeddedTarget.ToArguments());
        Assert.Empty(Valid(Minimal + "\nembeddedTarget: { signalr: {} }\n").EmbeddedTarget.ToArguments());
    }

    [Fact]
    public void A_bad_hub_key_is_reported_with_line_and_column()
    {
        var e = SingleError(Minimal + "\nembeddedTarget:\n  signalr:\n    path: /health\n");
        Assert.Equal(new ScenarioError(Source, 7, 11, "embeddedTarget.signalr.path", "'/health' is the target's own endpoint; choose another, such as /hub"), e);
        e = SingleError(Minimal + "\nembeddedTarget:\n  signalr: { clientTimout: 3s }\n");
        Assert.Equal((6, 14, "embeddedTarget.signalr.clientTimout"), (e.Line, e.Column, e.Key));
        Assert.Contains("did you mean 'clientTimeout'", e.Message, StringComparison.Ordinal);
    }
}
