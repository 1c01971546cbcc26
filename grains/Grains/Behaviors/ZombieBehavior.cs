using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Behaviors.Zombies;
using SimCluster.Grains.Clients;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 7: healthy for <c>after</c>, then the client turns into a zombie of one kind and times
/// how long the server takes to give up on it (at most <c>observeFor</c>). One episode per client:
/// healthy → zombie (the server still holds the connection) → evicted, undetected or unobserved (the run ended first).
/// </summary>
public sealed class ZombieBehavior(ZombiePlan plan) : IClientBehavior
{
    private long? _since;
    private bool _done;

    public string Name => "zombie";

    /// <summary>A zombie is misbehaving by design: the server closing it is the point, not a false kill.</summary>
    public bool IsWellBehaved => false;

    public ZombiePlan Plan => plan;

    public IZombieKind Kind { get; } = ZombieKinds.Get(plan.Kind);

    /// <summary>The frame scanner watches every connection, so the server's Close, FIN or RST is timestamped below a dead application.</summary>
    public ConnectOptions Prepare(ConnectOptions options) => Kind.Prepare(options with { WatchFrames = true }, plan);

    public void OnOpened(IClientControl client)
    {
        if (!_done && _since is null) client.Wake(plan.After);
    }

    public void OnTimer(IClientControl client)
    {
        if (_since is null) Turn(client);
        else Undetected(client);
    }

    /// <summary>
    /// The client goes dead in the way its kind says, while the server still holds the connection; from here
    /// on the client only watches for the first sign that the server gave up (Close frame, FIN or RST).
    /// </summary>
    private void Turn(IClientControl client)
    {
        if (client.Connection is not { } connection) return;
        client.EndConnection(ClientTrigger.Drop, null, Teardown.Keep, $"zombie {plan.Kind}"); // the client is gone, whatever the server believes
        client.Note("zombie-start", $"{plan.Kind}: the server still holds the connection");
        if (!Kind.KeepsSending) client.AbandonTraffic();
        client.Context.Metrics.Count(MetricNames.Zombies);
        Kind.Apply(connection);
        var since = client.Context.Time.GetTimestamp();
        _since = since;
        if (Kind.ServerSeesItAtOnce)
        {
            Detected(client, since, "rst");
            return;
        }
        client.WhenPeerGone(connection, at => Detected(client, at, connection.PeerCloseCode?.ToString() ?? "1006"));
        client.Wake(plan.ObserveFor);
    }

    /// <summary>A zombie that still listens (app-dead, half-close, slow-reader) hears the server give up as the connection's end.</summary>
    public bool OnLost(IClientControl client, ConnectionClosed closed)
    {
        if (_since is null || _done) return false;
        Detected(client, client.Context.Time.GetTimestamp(), closed.Initiator == CloseInitiator.Server && closed.Code is { } c ? c.ToString() : "1006");
        return true;
    }

    private void Detected(IClientControl client, long at, string how)
    {
        if (_since is not { } since || _done) return;
        _done = true;
        client.CancelWake();
        var metrics = client.Context.Metrics;
        var elapsed = client.Context.Time.GetElapsedTime(since, at);
        metrics.Count(MetricNames.ZombiesDetected);
        metrics.Record(MetricNames.ZombieDetectTime, elapsed);
        if (plan.ExpectDetectWithin is { } bound && elapsed <= bound) metrics.Count(MetricNames.ZombiesWithinBound);
        metrics.CountClose(how);
        metrics.CountCause(DisconnectCauses.Zombie, "evicted");
        client.Note("zombie-evicted", $"the server gave up after {elapsed.TotalMilliseconds:0} ms ({(how == "rst" ? "RST" : how == "1006" ? "no close frame" : "close " + how)})");
        client.ReleaseKept();
    }

    private void Undetected(IClientControl client)
    {
        if (_done) return;
        _done = true;
        client.Context.Metrics.Count(MetricNames.ZombiesUndetected);
        client.Context.Metrics.CountCause(DisconnectCauses.Zombie, "undetected");
        client.Note("zombie-undetected", "the server still held the connection when observation ended");
        client.ReleaseKept();
    }

    /// <summary>The run ended inside the zombie's <c>observeFor</c>: the server had not given up yet, but it was not watched long enough to say it never would.</summary>
    public void OnStopping(IClientControl client)
    {
        if (_since is null || _done) return;
        _done = true;
        client.Context.Metrics.Count(MetricNames.ZombiesUnobserved);
        client.Context.Metrics.CountCause(DisconnectCauses.Zombie, "unobserved");
        client.Note("zombie-unobserved", "the run ended before observeFor did; the server still held the connection");
        client.ReleaseKept();
    }
}
