using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 9: a laptop or phone moving between network interfaces. Every <c>every</c> the client
/// moves to the next interface of its list: a new source address (each interface owns a range in
/// 127.0.0.0/8) and that interface's link profile. NAT rebinding keeps the address and changes the port.
/// Break before make: the old path dies, a gap without connectivity, then the new interface connects.
/// Make before break: the new interface connects while the old path still works, then the old one dies.
/// </summary>
public sealed class SwitchingBehavior(SwitchingPlan plan) : IClientBehavior
{
    private int _switches;
    /// <summary>When the last old path was lost (for switch_resume_time), until the session is whole again.</summary>
    private long? _lostAt;

    public string Name => "switching";

    public bool IsWellBehaved => true;

    public SwitchingPlan Plan => plan;

    public SwitchMode Mode => plan.Mode;

    public OldPathFate OldPath => plan.OldPath;

    /// <summary>The interface a client uses after <paramref name="switches"/> handovers (the list cycles).</summary>
    public string InterfaceAfter(int switches, int clientIndex) =>
        plan.Interfaces.Length == 0 ? "loopback" : plan.Interfaces[(clientIndex + switches) % plan.Interfaces.Length];

    /// <summary>Source-address range of a simulated interface: one /24 per kind of link.</summary>
    public static string RangeOf(string interfaceName) => interfaceName switch
    {
        "wifi-good" or "wifi-congested" => "127.0.1.0/24",
        "4g" or "3g" or "slow-3g" or "edge" => "127.0.2.0/24",
        "ethernet" => "127.0.3.0/24",
        "satellite" => "127.0.4.0/24",
        _ => "127.0.5.0/24",
    };

    public static LinkProfile LinkOf(string interfaceName) =>
        LinkProfiles.All.TryGetValue(interfaceName, out var link) ? link : LinkProfile.Loopback;

    /// <summary>The client's current interface: its source range (at the client's place in this silo's slice) and link profile.</summary>
    public ConnectOptions OptionsNow(ConnectOptions armed, ClientContext context)
    {
        var name = InterfaceAfter(plan.NatRebinding ? 0 : _switches, context.Index);
        var source = context.Source;
        return armed with
        {
            LocalAddress = new SourceAddressPool([RangeOf(name)]).Slice(source.Slice, source.Slices).AddressFor(source.Position),
            Link = LinkOf(name),
        };
    }

    public void OnOpened(IClientControl client) => client.Wake(plan.Every.Draw(client.Random));

    public void OnTimer(IClientControl client)
    {
        if (client.Connection is not { } old) return;
        if (Mode == SwitchMode.MakeBeforeBreak && !plan.NatRebinding)
        {
            MakeBeforeBreak(client, old);
            return;
        }
        var fate = FateName;
        var index = client.Context.Index;
        client.Note("switch", $"{InterfaceName(_switches, index)} -> {InterfaceName(_switches + 1, index)}, break-before-make, gap {plan.Gap.TotalMilliseconds:0} ms");
        client.EndConnection(ClientTrigger.Drop, DisconnectCauses.Of(DisconnectCauses.Switch, fate), OldPathTeardown);
        client.Context.Metrics.Count(MetricNames.Switches);
        _switches++;
        _lostAt = client.Context.Time.GetTimestamp();
        client.ReconnectAfter(plan.Gap);
    }

    private void MakeBeforeBreak(IClientControl client, SimulatedConnection old)
    {
        _switches++;
        client.OpenBeside((fresh, error, elapsed) =>
        {
            if (fresh is null) SwitchFailed(client, old, error);
            else SwitchCompleted(client, old, fresh, elapsed);
        });
    }

    private void SwitchFailed(IClientControl client, SimulatedConnection old, Exception? error)
    {
        var label = error is ConnectFailedException c ? c.Label : "other";
        var metrics = client.Context.Metrics;
        metrics.Count(MetricNames.ConnectFailures);
        metrics.CountClose("connect-error:" + label);
        metrics.CountCause(DisconnectCauses.Connect, label);
        client.Note("switch-failed", $"new path: {DisconnectCauses.Of(DisconnectCauses.Connect, label)}; the old one stays");
        if (ReferenceEquals(client.Connection, old)) client.Wake(plan.Every.Draw(client.Random));
    }

    private void SwitchCompleted(IClientControl client, SimulatedConnection old, SimulatedConnection fresh, TimeSpan elapsed)
    {
        if (!ReferenceEquals(client.Connection, old))
        {
            fresh.Dispose(); // the old path was lost meanwhile; the ordinary reconnect takes over
            return;
        }
        var index = client.Context.Index;
        client.Note("switch", $"{InterfaceName(_switches - 1, index)} -> {InterfaceName(_switches, index)}, make-before-break, new path open in {elapsed.TotalMilliseconds:0.#} ms, old path: {FateName}");
        _lostAt = client.Context.Time.GetTimestamp();
        client.Handover(fresh, OldPathTeardown, elapsed);
        client.Context.Metrics.Count(MetricNames.Switches);
        client.Wake(plan.Every.Draw(client.Random));
    }

    /// <summary>The session is whole again after a handover: old path lost → resumed on the new one.</summary>
    public void OnResumed(IClientControl client)
    {
        if (_lostAt is not { } lost) return;
        var whole = client.Context.Time.GetElapsedTime(lost);
        client.Context.Metrics.Record(MetricNames.SwitchResumeTime, whole);
        client.Note("resumed", $"session whole {whole.TotalMilliseconds:0} ms after the old path was lost");
        _lostAt = null;
    }

    private string FateName => OldPath.Spelled();

    private Teardown OldPathTeardown => OldPath switch
    {
        OldPathFate.Reset => Teardown.Reset,
        OldPathFate.Fin => Teardown.Fin,
        _ => Teardown.Blackhole,
    };

    private string InterfaceName(int switches, int clientIndex) =>
        plan.NatRebinding ? $"{InterfaceAfter(0, clientIndex)} (new port)" : InterfaceAfter(switches, clientIndex);
}
