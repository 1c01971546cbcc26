using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// A phone flapping between coverage (resilience test 6): up for a while, then the link drops (close,
/// reset or blackhole), stays down, and comes back; <c>cycles</c> times.
/// </summary>
public sealed class FlappingBehavior(FlappingPlan plan) : IClientBehavior
{
    private readonly DropMode[] _modes = plan.Drops.All(Enum.IsDefined)
        ? plan.Drops
        : throw new ArgumentOutOfRangeException(nameof(plan), string.Join(", ", plan.Drops), "unknown drop mode");
    private int _drops;
    private PlannedDrop? _next;

    public string Name => "flapping";

    public bool IsWellBehaved => true;

    /// <summary>The drop after the <paramref name="dropsSoFar"/>-th, drawn from the client's source; null once the cycles are done.</summary>
    public PlannedDrop? NextDrop(int dropsSoFar, Random random)
    {
        if (plan.Cycles > 0 && dropsSoFar >= plan.Cycles) return null;
        var mode = _modes.Length == 1 ? _modes[0] : _modes[random.Next(_modes.Length)];
        return new PlannedDrop(plan.Up.Draw(random), mode, plan.Down.Draw(random));
    }

    public void OnOpened(IClientControl client)
    {
        _next = NextDrop(_drops, client.Random);
        if (_next is { } drop) client.Wake(drop.After);
    }

    public void OnTimer(IClientControl client)
    {
        if (client.Connection is null || _next is not { } drop) return;
        _next = null;
        _drops++;
        var cause = DisconnectCauses.Of(DisconnectCauses.Forced, drop.Mode.Spelled());
        client.EndConnection(ClientTrigger.Drop, cause, TeardownOf(drop.Mode), $"{cause}, outage {drop.Outage.TotalMilliseconds:0} ms");
        client.ReconnectAfter(drop.Outage);
    }

    private static Teardown TeardownOf(DropMode mode) => mode switch
    {
        DropMode.Close => Teardown.Close("flap"),
        DropMode.Reset => Teardown.Reset,
        _ => Teardown.Blackhole,
    };
}
