using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 9: a laptop or phone moving between network interfaces. Every <c>every</c> the client
/// moves to the next interface of its list: a new source address (each interface owns a range in
/// 127.0.0.0/8) and that interface's link profile. NAT rebinding keeps the address and changes the port.
/// </summary>
public sealed class SwitchingBehavior(SwitchingPlan plan) : IClientBehavior
{
    public string Name => "switching";

    public bool IsWellBehaved => true;

    public SwitchingPlan Plan => plan;

    public SwitchMode Mode => plan.Mode;

    public OldPathFate OldPath => plan.OldPath;

    /// <summary>Switching is its own schedule, not a drop cycle.</summary>
    public PlannedDrop? NextDrop(int dropsSoFar, Random random) => null;

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
}
