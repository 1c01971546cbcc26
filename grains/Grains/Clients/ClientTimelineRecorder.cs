using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Clients;

/// <summary>
/// The event list of one sampled client (only sampled clients have one: the others allocate nothing).
/// Bounded: after <c>cap</c> events the rest are only counted, so a client flapping for an hour cannot
/// grow without limit. Times are milliseconds from the run's start instant, from the injected clock.
/// Used on the grain's scheduler only, so it needs no locks.
/// </summary>
public sealed class ClientTimelineRecorder(int client, string group, string behavior, int cap, TimeProvider time)
{
    private readonly List<ClientEvent> _events = [];
    private DateTimeOffset _runStart;
    private int _dropped;

    /// <summary>The run's start instant (every client of the run shares it); events before it read negative.</summary>
    public void StartsAt(DateTime runStartUtc) => _runStart = new DateTimeOffset(DateTime.SpecifyKind(runStartUtc, DateTimeKind.Utc));

    public void Add(string kind, ClientState state, string? detail = null)
    {
        if (_events.Count >= cap)
        {
            _dropped++;
            return;
        }
        var at = (time.GetUtcNow() - _runStart).TotalMilliseconds;
        _events.Add(new ClientEvent { AtMs = Math.Round(at, 1), Kind = kind, State = state.ToString(), Detail = detail });
    }

    /// <summary>The event a state-machine transition stands for, by its trigger.</summary>
    public void Add(Transition transition, string? detail = null) => Add(KindOf(transition), transition.To, detail);

    public static string KindOf(Transition transition) => transition.Trigger switch
    {
        ClientTrigger.Connect => "connecting",
        ClientTrigger.Opened => transition.From == ClientState.Closing ? "open-after-stop" : "open",
        ClientTrigger.ConnectFailed => "connect-failed",
        ClientTrigger.Lost or ClientTrigger.Drop => "dropped",
        ClientTrigger.Wait => "waiting",
        ClientTrigger.GiveUp => "gave-up",
        ClientTrigger.Stop => transition.To == ClientState.Closing ? "stopping" : "closed",
        ClientTrigger.Stopped => "closed",
        _ => transition.Trigger.ToString().ToLowerInvariant(),
    };

    public ClientTimeline Snapshot() => new()
    {
        Client = client,
        Group = group,
        Behavior = behavior,
        Events = [.. _events],
        Dropped = _dropped,
    };
}
