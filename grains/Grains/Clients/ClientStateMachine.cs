namespace SimCluster.Grains.Clients;

public enum ClientState { Idle, Connecting, Open, Dropped, WaitingToReconnect, Closing, Closed, Failed }

public enum ClientTrigger
{
    /// <summary>Start a connection attempt.</summary>
    Connect,
    Opened,
    ConnectFailed,
    /// <summary>The connection ended without us wanting it (server close, reset, error).</summary>
    Lost,
    /// <summary>We ended the connection on purpose (a behaviour's drop).</summary>
    Drop,
    /// <summary>A reconnect is scheduled (after an outage or backoff).</summary>
    Wait,
    /// <summary>The reconnect policy ran out of attempts.</summary>
    GiveUp,
    Stop,
    Stopped,
}

/// <summary>One accepted transition, with what it means for the metrics.</summary>
public sealed record Transition(ClientState From, ClientState To, ClientTrigger Trigger, long At)
{
    /// <summary>Set on <c>Opened</c> after a loss: time from losing the previous connection to this open one.</summary>
    public TimeSpan? ReconnectTime { get; init; }

    /// <summary>Set on the first <c>Connect</c> after a loss: the client tries to restore a lost connection (once per loss).</summary>
    public bool RestoreAttempt { get; init; }
}

/// <summary>
/// The network state machine of one simulated client. Pure: no sockets, no timers, no clock of its own;
/// every call passes the current <see cref="TimeProvider"/> timestamp, so tests drive it with fake time.
/// Illegal transitions throw, which keeps the grain honest about what it does.
/// </summary>
public sealed class ClientStateMachine(TimeProvider time)
{
    private static readonly Dictionary<(ClientState, ClientTrigger), ClientState> Table = new()
    {
        [(ClientState.Idle, ClientTrigger.Connect)] = ClientState.Connecting,
        [(ClientState.Connecting, ClientTrigger.Opened)] = ClientState.Open,
        [(ClientState.Connecting, ClientTrigger.ConnectFailed)] = ClientState.Dropped,
        [(ClientState.Open, ClientTrigger.Lost)] = ClientState.Dropped,
        [(ClientState.Open, ClientTrigger.Drop)] = ClientState.Dropped,
        [(ClientState.Dropped, ClientTrigger.Wait)] = ClientState.WaitingToReconnect,
        [(ClientState.Dropped, ClientTrigger.GiveUp)] = ClientState.Failed,
        [(ClientState.WaitingToReconnect, ClientTrigger.Connect)] = ClientState.Connecting,
        [(ClientState.Idle, ClientTrigger.Stop)] = ClientState.Closed,
        [(ClientState.Connecting, ClientTrigger.Stop)] = ClientState.Closing,
        [(ClientState.Open, ClientTrigger.Stop)] = ClientState.Closing,
        [(ClientState.Dropped, ClientTrigger.Stop)] = ClientState.Closed,
        [(ClientState.WaitingToReconnect, ClientTrigger.Stop)] = ClientState.Closed,
        [(ClientState.Failed, ClientTrigger.Stop)] = ClientState.Failed,
        [(ClientState.Closing, ClientTrigger.Stopped)] = ClientState.Closed,
        // A connect or close finishing after Stop was asked for.
        [(ClientState.Closing, ClientTrigger.Opened)] = ClientState.Closing,
        [(ClientState.Closing, ClientTrigger.ConnectFailed)] = ClientState.Closing,
        [(ClientState.Closing, ClientTrigger.Lost)] = ClientState.Closing,
    };

    private long? _lostAt;
    private bool _restoring;

    public ClientState State { get; private set; } = ClientState.Idle;

    /// <summary>Connection attempts since the last open connection (1 during the first attempt).</summary>
    public int Attempt { get; private set; }

    public bool IsTerminal => State is ClientState.Closed or ClientState.Failed;

    public bool CanFire(ClientTrigger trigger) => Table.ContainsKey((State, trigger));

    public Transition Fire(ClientTrigger trigger)
    {
        if (!Table.TryGetValue((State, trigger), out var next))
            throw new InvalidOperationException($"illegal transition: {trigger} in state {State}");
        var now = time.GetTimestamp();
        var transition = new Transition(State, next, trigger, now);
        switch (trigger)
        {
            case ClientTrigger.Connect:
                Attempt++;
                if (_lostAt is not null && !_restoring) transition = transition with { RestoreAttempt = true };
                _restoring = _lostAt is not null;
                break;
            case ClientTrigger.Opened when State == ClientState.Connecting:
                if (_lostAt is { } lostAt) transition = transition with { ReconnectTime = time.GetElapsedTime(lostAt, now) };
                _lostAt = null;
                _restoring = false;
                Attempt = 0;
                break;
            case ClientTrigger.Lost or ClientTrigger.Drop:
                _lostAt = now;
                break;
        }
        State = next;
        return transition;
    }
}
