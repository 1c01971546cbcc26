using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Behaviors;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Reconnect;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>Everything a <see cref="ClientRuntime"/> is built from; a grain passes real sockets and its scheduler, a test fakes.</summary>
/// <param name="Wheel">The clock of the traffic and heartbeats (the silo's timer wheel).</param>
/// <param name="Traffic">Builds the client's protocol over the client's own random source (one source, so one schedule per seed).</param>
/// <param name="Silo">The silo's identity, for the session ID of this activation.</param>
public sealed record ClientSetup(
    RunPlan Plan, int Index, SourceSlot Source, GroupRecorder Metrics, TimeProvider Time, TimeProvider Wheel,
    IClientTurns Turns, IConnectionFactory Connections, SiloCaseResults CaseResults, Func<Random, IProtocol> Traffic);

/// <summary>
/// One simulated client, without Orleans: the state machine, the current connection, the reconnect policy,
/// the traffic and tokens over it, and the behaviour that decides when to drop. Every connection ends through
/// <see cref="EndConnection"/>, which does the books for all of them.
/// <para>
/// Threading: the fields of this class are touched only in the client's turn (<see cref="IClientTurns"/>).
/// Socket callbacks, connect completions, timers, heartbeat and token callbacks all post into the turn;
/// <see cref="Generation"/> tells a callback of an old connection from one of the current one. The traffic
/// and token objects are the one exception: socket threads feed them messages directly (a turn per message
/// would cost more than the message), so they keep their own state under their own lock; the socket thread
/// reads the generation (written only in the turn) to drop the text of a connection the client has left.
/// </para>
/// </summary>
public sealed class ClientRuntime : IClientControl, IDisposable
{
    private readonly RunPlan _plan;
    private readonly GroupPlan _group;
    private readonly TimeProvider _time;
    private readonly TimeProvider _wheel;
    private readonly IClientTurns _turns;
    private readonly IConnectionFactory _connections;
    private readonly IClientBehavior _behavior;
    private readonly IReconnectPolicy _reconnect;
    private readonly GroupRecorder _metrics;
    private readonly IProtocol _traffic;
    private readonly TokenSession? _tokens;
    private readonly ConnectOptions _armed;
    /// <summary>The scenario's <c>connect:</c> block, applied to every attempt; null when it sets nothing.</summary>
    private readonly ConnectBlock? _connect;
    private long _connectAttempts;
    private readonly ClientStateMachine _machine;
    /// <summary>Only for clients the plan sampled for the report's timelines; null (nothing allocated) otherwise.</summary>
    private readonly ClientTimelineRecorder? _timeline;

    private SimulatedConnection? _connection;
    /// <summary>A connection ended with <see cref="TeardownKind.Keep"/> (a zombie's), until the behaviour lets it go.</summary>
    private SimulatedConnection? _kept;
    /// <summary>A blackholed socket held open until the server gives up on it; one per client.</summary>
    private SimulatedConnection? _heldDeadPath;
    private bool _outageWasForced;
    private long _networkBackAt;
    private ITimer? _timer;
    private int _timerTurn;
    /// <summary>The load shape's ramp-down of this client (stages falling past its index); null when it runs to the end.</summary>
    private ITimer? _rampDown;
    private bool _stopping;
    /// <summary>When the stop's grace ends: waiting for an unsettled attempt and draining share it.</summary>
    private long _stopDeadline;
    /// <summary>
    /// Set while a stopping client waits for its attempt in flight (or its protocol handshake) to be settled by the
    /// server, so the last second's connects and refusals are counted as the server counted them.
    /// </summary>
    private TaskCompletionSource? _settling;
    private Task _closing = Task.CompletedTask;
    private HeartbeatPinger? _pinger;
    private IClientRun? _instead;
    /// <summary>
    /// The connection of this generation ended before its open was processed (a server that fails the
    /// connection at once: a 1 GiB frame right after the upgrade). Replayed when the open is, so the client
    /// does not sit on a dead connection believing it open.
    /// </summary>
    private (int Generation, ConnectionClosed Closed)? _lostWhileOpening;
    /// <summary>
    /// The connect time of an open connection whose protocol handshake has not been answered yet: it counts in
    /// <c>connects</c> once the protocol is ready or the connection ends otherwise; a refused handshake makes the
    /// attempt one connect failure instead, never both.
    /// </summary>
    private TimeSpan? _openNotCounted;
    /// <summary>The connection last opened beside the current one, and its listener (whose generation a handover sets).</summary>
    private (SimulatedConnection Connection, Listener Listener)? _beside;

    public ClientRuntime(ClientSetup setup)
    {
        _plan = setup.Plan;
        _group = setup.Plan.GroupOf(setup.Index);
        _time = setup.Time;
        _wheel = setup.Wheel;
        _turns = setup.Turns;
        _connections = setup.Connections;
        _metrics = setup.Metrics;
        Context = new ClientContext(setup.Plan, _group, setup.Index, setup.Source, setup.Metrics, setup.Time, setup.CaseResults);
        // One seeded source per client: the same seed and index give the same schedule on any silo.
        Random = new Random(ClientSeed.For(_plan.Seed, setup.Index, ClientSeed.Schedule));
        _behavior = BehaviorRegistry.Create(_group);
        _reconnect = ReconnectPolicyRegistry.Create(_plan.Reconnect);
        _traffic = setup.Traffic(Random);
        _traffic.Ready += _ =>
        {
            var generation = Generation;
            _turns.Post(() =>
            {
                if (generation == Generation) CountOpen();
                _behavior.OnResumed(this);
                SettleIfDone();
            });
        };
        _traffic.Failed += failure =>
        {
            var generation = Generation; // raised over the attached connection, so of the current generation or a stale one
            _turns.Post(() =>
            {
                ProtocolFailed(generation, failure);
                SettleIfDone();
            });
        };
        _machine = new ClientStateMachine(_time);
        if (Array.BinarySearch(_plan.TimelineClients, setup.Index) >= 0)
            _timeline = new ClientTimelineRecorder(setup.Index, _group.Name, _group.Behavior, _plan.TimelineEventCap, _time);
        if (_plan.Auth is { } auth)
        {
            var tokenSource = TokenSources.Create(auth, _time, new Random(ClientSeed.For(_plan.Seed, setup.Index, ClientSeed.Tokens)));
            _tokens = new TokenSession(auth, tokenSource, RefreshModes.Create(auth.RefreshMode), _traffic.RefreshFrames, _traffic.Tokens, setup.Index, _metrics, _time,
                _ => _turns.Post(RefreshByReconnect));
        }
        var target = new Uri(_plan.TargetUrls[setup.Index % _plan.TargetUrls.Length]);
        _connect = ConnectBlock.For(_plan.Connect, setup.Index);
        _armed = _behavior.Prepare(_traffic.PrepareUpgrade(new ConnectOptions
        {
            Target = target,
            // This silo's own slice of the source ranges, at the client's place in the silo's share.
            LocalAddress = SourceAddressPool.For(target, _plan.Network.SourceRanges).Slice(setup.Source.Slice, setup.Source.Slices).AddressFor(setup.Source.Position),
            ConnectTimeout = _plan.ConnectTimeout,
            // The .NET keep-alive stays off: its unsolicited PONGs would make a zombie look alive. Client
            // PINGs, when asked for, are ours (HeartbeatPinger), so they can be timed and stopped.
            KeepAliveInterval = TimeSpan.Zero,
            WatchFrames = _plan.HeartbeatInterval > TimeSpan.Zero && !_plan.HeartbeatAppLevel,
            Link = LinkFor(_plan.Network),
            MaxMessageSize = _plan.Messages.MaxReceiveSize,
            // A fragmented message unfinished after lossTimeout would only show as lost messages behind it.
            FragmentTimeLimit = _plan.Messages.LossTimeout,
            Driver = _plan.Driver,
            Seed = ClientSeed.For(_plan.Seed, setup.Index, ClientSeed.Link),
            Time = _time,
        }));
    }

    public ClientContext Context { get; }

    public Random Random { get; }

    public ClientState State => _machine.State;

    public ConnectOptions ArmedOptions => _armed;

    /// <summary>Bumped by every new connection (attempt or handover): callbacks of older ones are stale.</summary>
    public int Generation { get => _generation; private set => Volatile.Write(ref _generation, value); }

    private int _generation;

    public SimulatedConnection? Connection => _stopping || _machine.State != ClientState.Open ? null : _connection;

    public ClientTimeline? Timeline => _timeline?.Snapshot();

    // ------------------------------------------------------------ start and stop

    /// <summary>The run starts at <paramref name="startAtUtc"/>; this client at its place in the load shape after it.</summary>
    public void Start(DateTime startAtUtc)
    {
        // The load shape (rampUp, or stages and connectRate) decides by index when this client starts and, on a
        // ramp-down, stops: deterministic, independent of which silo runs the client.
        var window = LoadShape.For(_plan).WindowOf(Context.Index);
        var offset = window.Start;
        _timeline?.StartsAt(startAtUtc);
        if (!window.Runs) return; // the arrival rate holds it back past its own ramp-down: it never connects
        // The send window: from the client's start (now, for a client re-activated late) to the run's planned
        // end (or its ramp-down), the same instant on every silo, so sending stops everywhere at once whatever the stop calls do.
        var nowUtc = _time.GetUtcNow().UtcDateTime;
        var clientStart = startAtUtc + offset > nowUtc ? startAtUtc + offset : nowUtc;
        _traffic.Schedule(TimestampAt(clientStart), TimestampAt(startAtUtc + (window.Stop ?? _plan.Duration)));
        if (window.Stop is { } rampDown)
        {
            // Closed by the tool, cleanly (drain, then 1000): never a disconnect of the server's. A tick is a turn.
            var due = startAtUtc + rampDown - nowUtc;
            _rampDown = _time.CreateTimer(_ => _turns.Post(() => _ = StopAsync(rampDown: true)), null,
                due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
        _behavior.OnStart(this, startAtUtc + offset - nowUtc);
    }

    /// <summary>Ends the client: drains and closes its connection, settles the traffic's books. Completes when all of it is done.</summary>
    /// <param name="rampDown">The load shape ramped down past this client (stages): counted as closed by the tool.</param>
    public async Task StopAsync(bool rampDown = false)
    {
        if (_stopping) return;
        _stopping = true;
        _rampDown?.Dispose();
        var reason = rampDown ? "ramp-down" : "run finished";
        if (rampDown) _metrics.Count(MetricNames.ClientsRampedDown);
        if (_instead is { } instead)
        {
            await instead.StopAsync();
            return;
        }
        CancelTimer();
        _stopDeadline = _time.GetTimestamp() + (long)(_plan.StopGrace.TotalSeconds * _time.TimestampFrequency);
        if (Unsettled) await SettleAsync();
        if (_traffic.Resumes && _traffic.Pending > 0 && _behavior.IsWellBehaved
            && _machine.State is ClientState.Dropped or ClientState.WaitingToReconnect or ClientState.Connecting)
        {
            await FinishHandoverAsync();
        }
        if (!_machine.CanFire(ClientTrigger.Stop))
        {
            _traffic.Finish();
            return;
        }
        if (_machine.State == ClientState.Open) End(ClientTrigger.Stop, null, Teardown.Drain(reason), reason);
        else Fire(ClientTrigger.Stop, reason);
        _behavior.OnStopping(this);
        _heldDeadPath?.Release();
        _heldDeadPath = null;
        await _closing;
        _traffic.Finish();
        if (_machine.CanFire(ClientTrigger.Stopped)) Fire(ClientTrigger.Stopped);
    }

    /// <summary>An attempt is in flight, or open with its protocol handshake unanswered: the server has not said yet what it made of it.</summary>
    private bool Unsettled => _machine.State == ClientState.Connecting
        || (_machine.State == ClientState.Open && _connection is not null && _openNotCounted is not null);

    private TimeSpan StopGraceLeft => TimeSpan.FromSeconds(Math.Max(0, _stopDeadline - _time.GetTimestamp()) / (double)_time.TimestampFrequency);

    /// <summary>
    /// The run ended while an attempt was in flight or a handshake unanswered. The server will count that attempt
    /// (an upgrade, a refusal), so the client waits, within the stop grace, for what the server did, and counts it
    /// as on any other attempt (without reconnecting after it) before it closes.
    /// </summary>
    private async Task SettleAsync()
    {
        _settling = new TaskCompletionSource(); // the stop resumes in the turn that settled it (in a grain: on the activation scheduler)
        try { await _settling.Task.WaitAsync(StopGraceLeft, _time); }
        catch (TimeoutException) { }
        _settling = null;
    }

    /// <summary>Ends a stopping client's wait once its attempt is settled; called after every turn that may settle it.</summary>
    private void SettleIfDone()
    {
        if (_settling is { } settling && !Unsettled) settling.TrySetResult();
    }

    /// <summary>Events of the current connection are processed while running, and while a stopping client waits for them to settle.</summary>
    private bool Listening => !_stopping || _settling is not null;

    /// <summary>
    /// The run ended in the middle of a handover (old path gone, new one not yet up) with session messages
    /// still buffered. A real client would finish the handover and replay them, so this one does too,
    /// within the stop grace, instead of reporting as lost what only the end of the run cut off.
    /// </summary>
    private async Task FinishHandoverAsync()
    {
        var started = _time.GetTimestamp();
        try
        {
            using var fresh = await OpenAsync(OptionsNow(), new Listener(this, -1)).WaitAsync(_plan.StopGrace, _time);
            _metrics.Count(MetricNames.Connects);
            _metrics.Record(MetricNames.ConnectTime, _time.GetElapsedTime(started));
            _traffic.StopSending();
            _traffic.Attach(fresh);
            await _traffic.DrainAsync(_plan.StopGrace);
            _traffic.Detach();
            await fresh.CloseAsync(1000, "run finished");
        }
        catch (Exception e) when (e is ConnectFailedException or TimeoutException or TokenUnavailableException)
        {
            _metrics.Count(MetricNames.ConnectFailures); // what stays buffered is counted lost by Finish
        }
    }

    public void ConnectAfter(TimeSpan delay) => After(delay, Connect);

    public void RunInstead(IClientRun run, TimeSpan delay)
    {
        _instead = run;
        run.Start(delay);
    }

    // ------------------------------------------------------------ connecting

    private void Connect()
    {
        if (_stopping || !_machine.CanFire(ClientTrigger.Connect)) return;
        var transition = _machine.Fire(ClientTrigger.Connect);
        if (transition.RestoreAttempt) _metrics.Count(MetricNames.RestoresAttempted);
        var generation = ++Generation;
        var options = OptionsNow();
        _timeline?.Add(transition, $"attempt {_machine.Attempt} from {options.LocalAddress}{(options.Link.Name is { } link && link != "loopback" ? $" over {link}" : "")}");
        Open(options, generation, (listener, connection, error, elapsed) => ConnectCompleted(generation, listener, connection, error, elapsed));
    }

    private void ConnectCompleted(int generation, Listener listener, SimulatedConnection? connection, Exception? error, TimeSpan elapsed)
    {
        try { Completed(generation, listener, connection, error, elapsed); }
        finally { SettleIfDone(); }
    }

    private void Completed(int generation, Listener listener, SimulatedConnection? connection, Exception? error, TimeSpan elapsed)
    {
        if (generation != Generation || !Listening)
        {
            connection?.Dispose();
            if (_machine.State == ClientState.Closing && _machine.CanFire(ClientTrigger.Stopped)) Fire(ClientTrigger.Stopped);
            return;
        }
        if (connection is null)
        {
            _metrics.Count(MetricNames.ConnectFailures);
            var label = error switch
            {
                ConnectFailedException c => c.Label,
                TokenUnavailableException t => t.Label,
                _ => "other",
            };
            _metrics.CountClose("connect-error:" + label);
            if (_tokens is not null && label is "http-401" or "http-403") _metrics.Count(MetricNames.AuthRejections);
            _metrics.CountCause(DisconnectCauses.Connect, label);
            var fired = _machine.Fire(ClientTrigger.ConnectFailed);
            _timeline?.Add(fired, DisconnectCauses.Of(DisconnectCauses.Connect, label));
            ScheduleReconnect();
            return;
        }

        var opened = _machine.Fire(ClientTrigger.Opened);
        _timeline?.Add(opened, $"connect {elapsed.TotalMilliseconds:0.#} ms" + (opened.ReconnectTime is { } back ? $", back {back.TotalMilliseconds:0} ms after the loss" : ""));
        _connection = connection;
        _metrics.Opened();
        Opened(elapsed);
        if (opened.ReconnectTime is { } reconnectTime)
        {
            _metrics.Record(MetricNames.ReconnectTime, reconnectTime);
            _metrics.Count(MetricNames.Reconnects);
            if (_outageWasForced) _metrics.Record(MetricNames.RecoveryTime, _time.GetElapsedTime(_networkBackAt));
        }
        _outageWasForced = false;
        StartOver(connection, generation, listener);
        _behavior.OnOpened(this);

        if (_lostWhileOpening is { } early)
        {
            _lostWhileOpening = null;
            if (early.Generation == generation) ConnectionLost(generation, early.Closed);
        }
    }

    /// <summary>A connection opened: counted now, or, behind a protocol handshake, once the protocol is ready (<see cref="_openNotCounted"/>).</summary>
    private void Opened(TimeSpan connectTime)
    {
        _openNotCounted = connectTime;
        if (_traffic.ReadyOnAttach) CountOpen();
    }

    private void CountOpen()
    {
        if (_openNotCounted is not { } connectTime) return;
        _openNotCounted = null;
        _metrics.Count(MetricNames.Connects);
        _metrics.Record(MetricNames.ConnectTime, connectTime);
    }

    /// <summary>Traffic, tokens and heartbeats start over a connection that just became the client's.</summary>
    private void StartOver(SimulatedConnection connection, int generation, Listener? listener)
    {
        _traffic.Attach(connection);
        listener?.Attached();
        _tokens?.Opened(connection);
        StartPinger(connection, generation);
        if (_traffic.ReadyOnAttach) _behavior.OnResumed(this); // no handshake: the session is "resumed" once the new path is open
    }

    /// <summary>Opens a connection off the turn and brings its outcome (with the connect time) back into a turn.</summary>
    private void Open(ConnectOptions options, int generation, Action<Listener, SimulatedConnection?, Exception?, TimeSpan> inTurn)
    {
        var started = _time.GetTimestamp();
        var listener = new Listener(this, generation);
        OpenAsync(options, listener).ContinueWith(t =>
        {
            var elapsed = _time.GetElapsedTime(started);
            var connection = t.IsCompletedSuccessfully ? t.Result : null;
            var error = t.Exception?.InnerException;
            _turns.Post(() => inTurn(listener, connection, error, elapsed));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private Task<SimulatedConnection> OpenAsync(ConnectOptions options, IConnectionListener listener) =>
        _connections.OpenAsync(async () =>
        {
            // The connect block first: the token's query parameter and the protocol's negotiate build on its URL.
            var shaped = _connect?.Apply(options, Interlocked.Increment(ref _connectAttempts), _time.GetUtcNow().ToUnixTimeMilliseconds()) ?? options;
            return await _traffic.PrepareConnectAsync(
                _tokens is null ? shaped : await _tokens.PrepareConnectAsync(shaped).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
        }, listener);

    /// <summary>The connect options for the next connection (the behaviour may change the interface).</summary>
    private ConnectOptions OptionsNow() => _behavior.OptionsNow(_armed, Context);

    // ------------------------------------------------------------ the one teardown

    void IClientControl.EndConnection(ClientTrigger trigger, string? cause, Teardown how, string? note) => End(trigger, cause, how, note);

    /// <summary>See <see cref="End"/>.</summary>
    public void EndConnection(ClientTrigger trigger, string? cause, Teardown how, string? note = null) => End(trigger, cause, how, note);

    /// <summary>
    /// Ends the open connection, whoever ended it, and does its books once:
    /// the open gauge always goes down and the token's life ends (with the server's close code, which tells an
    /// expiry close); a <paramref name="cause"/> makes it a disconnect (counted with its cause, a forced one also
    /// in <c>forced_drops</c>); a connection the client lost (<see cref="ClientTrigger.Lost"/>) counts how it ended
    /// (the server's close code, 1006 without one, <c>heartbeat-timeout</c> when the client gave up on a silent
    /// server), and is a false disconnect when the server ended a well-behaved client whose token was valid.
    /// <paramref name="how"/> says what becomes of the socket and the traffic over it.
    /// </summary>
    private void End(ClientTrigger trigger, string? cause, Teardown how, string? note = null, ConnectionClosed? seen = null, ProtocolFailure? failure = null)
    {
        var connection = _connection ?? throw new InvalidOperationException($"{trigger}: the client has no connection to end");
        _connection = null;
        CountOpen();
        CancelTimer();
        var pinger = _pinger;
        _pinger = null;
        if (how.Kind != TeardownKind.Drain) pinger?.Dispose();
        Fire(trigger, note ?? cause);
        _metrics.Closed();
        if (cause is not null)
        {
            var category = DisconnectCauses.CategoryOf(cause);
            _metrics.CountCause(category, cause[(category.Length + 1)..]);
            _metrics.Count(MetricNames.Disconnects);
            if (category == DisconnectCauses.Forced) _metrics.Count(MetricNames.ForcedDrops);
        }
        int? serverCode = seen is { Initiator: CloseInitiator.Server } byServer ? byServer.Code : null;
        // A server closing a connection whose token has expired is right to do so: not a false disconnect.
        var closedByServer = seen is { Initiator: CloseInitiator.Server } || failure is { ClosedByServer: true };
        // A drained connection's token exchange in flight gets its answer first (DrainThenCloseAsync ends the token there).
        var tokenExpired = how.Kind != TeardownKind.Drain && (_tokens?.Ended(serverCode, quietExpiryClose: closedByServer && _traffic.ExpiryCloseHasNoCode) ?? false);
        if (trigger == ClientTrigger.Lost)
        {
            _metrics.CountClose(failure is not null ? failure.Cause[(DisconnectCauses.CategoryOf(failure.Cause).Length + 1)..]
                : seen is null ? "heartbeat-timeout" : serverCode?.ToString() ?? "1006");
            if ((seen is { Initiator: not CloseInitiator.Client } || failure is { ClosedByServer: true }) && _behavior.IsWellBehaved && !tokenExpired)
                _metrics.Count(MetricNames.FalseDisconnects);
        }
        if (how.Kind == TeardownKind.Close || serverCode is not null || failure is { ClosedByServer: true }) _traffic.EndedByClose();
        switch (how.Kind)
        {
            case TeardownKind.Keep:
                _kept = connection;
                return;
            case TeardownKind.Drain:
                _closing = DrainThenCloseAsync(connection, pinger, how.Reason ?? "bye");
                return;
        }
        _traffic.Detach();
        Kill(connection, how);
    }

    /// <summary>
    /// Drain, then close: the connection stays open until every answer is in (messages, a token exchange, heartbeats)
    /// or the newest message's lossTimeout has passed (at most the stop grace), so the close interrupts nothing.
    /// </summary>
    private async Task DrainThenCloseAsync(SimulatedConnection connection, HeartbeatPinger? pinger, string reason)
    {
        var grace = StopGraceLeft;
        await Task.WhenAll(_traffic.DrainAsync(grace), _tokens?.DrainAsync(grace) ?? Task.CompletedTask, pinger?.DrainAsync(grace) ?? Task.CompletedTask);
        pinger?.Dispose();
        _tokens?.Ended(serverCloseCode: null);
        _traffic.Detach();
        await connection.CloseAsync(1000, reason);
    }

    private void Kill(SimulatedConnection connection, Teardown how)
    {
        switch (how.Kind)
        {
            case TeardownKind.Close:
                _ = connection.CloseAsync(1000, how.Reason ?? "bye");
                break;
            case TeardownKind.Reset:
                connection.Reset();
                break;
            case TeardownKind.Blackhole:
                connection.Blackhole();
                HoldDeadPath(connection);
                break;
            case TeardownKind.Fin:
                connection.CloseTcp();
                break;
        }
    }

    /// <summary>
    /// Keeps a blackholed socket open (the server still believes in it) and timestamps when the server gives
    /// up on it. One per client: a newer dead path releases the older one with an RST.
    /// </summary>
    private void HoldDeadPath(SimulatedConnection connection)
    {
        _heldDeadPath?.Release();
        _heldDeadPath = connection;
        var since = _time.GetTimestamp();
        connection.PeerGone.ContinueWith(t =>
        {
            if (!t.IsCompletedSuccessfully) return;
            _metrics.Record(MetricNames.DeadConnectionHoldTime, _time.GetElapsedTime(since, t.Result));
            _turns.Post(() =>
            {
                if (ReferenceEquals(_heldDeadPath, connection)) _heldDeadPath = null;
                connection.Release();
            });
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void ReconnectAfter(TimeSpan outage)
    {
        _outageWasForced = true;
        _networkBackAt = _time.GetTimestamp() + (long)(outage.TotalSeconds * _time.TimestampFrequency);
        After(outage, ScheduleReconnect);
    }

    public void AbandonTraffic() => _traffic.Abandon();

    public void ReleaseKept()
    {
        _traffic.Detach();
        _kept?.Release();
        _kept = null;
    }

    // ------------------------------------------------------------ losing the connection

    private void OnText(string text)
    {
        if (_tokens is not null && _tokens.OnText(text)) return;
        _traffic.OnText(text);
    }

    private void ConnectionLost(int generation, ConnectionClosed closed)
    {
        if (generation != Generation) return;
        if (_behavior.OnLost(this, closed)) return;
        if (_machine.State == ClientState.Connecting)
        {
            _lostWhileOpening = (generation, closed);
            return;
        }
        if (_machine.State != ClientState.Open) return;
        var cause = CauseOf(closed, _traffic.CloseCodeName);
        if (_openNotCounted is not null && !_traffic.ReadyOnAttach)
        {
            // The connection ended before the protocol's handshake finished (a graphql-ws 4403 or 4408, a hub gone
            // before its handshake answer): the server never had a session with this client, so it is one failed
            // attempt, as a refused handshake is, not a connect and a disconnect.
            if (_tokens is not null && closed.Initiator == CloseInitiator.Server && _traffic.RefusesCredentials(closed.Code)) _metrics.Count(MetricNames.AuthRejections);
            HandshakeFailed(new ProtocolFailure(cause, ClosedByServer: false, Handshake: true), Teardown.Gone);
        }
        else End(ClientTrigger.Lost, cause, Teardown.Gone, seen: closed);
        ScheduleReconnect();
    }

    /// <summary>
    /// The <see cref="DisconnectCauses"/> label of a connection the client did not end on purpose. A close code the
    /// protocol defines carries the protocol's name for it (<see cref="IProtocol.CloseCodeName"/>):
    /// <c>server:close-4408-init-timeout</c>.
    /// </summary>
    internal static string CauseOf(ConnectionClosed closed, Func<int?, string?>? closeCodeName = null) => closed.Initiator switch
    {
        CloseInitiator.Server => DisconnectCauses.Of(DisconnectCauses.Server,
            $"close-{closed.Code ?? 1005}" + (closeCodeName?.Invoke(closed.Code) is { } name ? "-" + name : "")),
        CloseInitiator.Lost => DisconnectCauses.Of(DisconnectCauses.Server, closed.Loss ?? DisconnectCause.Other),
        _ => DisconnectCauses.Of(DisconnectCauses.Tool, "close"),
    };

    /// <summary>
    /// The upgrade succeeded but the protocol's handshake did not (refused, never answered, or the connection ended
    /// first): one failed attempt, counted as a connect failure under the label of <paramref name="failure"/>'s cause
    /// only, not also as a connect and a disconnect.
    /// </summary>
    private void HandshakeFailed(ProtocolFailure failure, Teardown how)
    {
        _openNotCounted = null;
        var label = failure.Cause[(DisconnectCauses.CategoryOf(failure.Cause).Length + 1)..];
        _metrics.Count(MetricNames.ConnectFailures);
        _metrics.CountCause(DisconnectCauses.Connect, label);
        End(ClientTrigger.Lost, null, how, label, failure: failure);
    }

    private void ScheduleReconnect()
    {
        if (_stopping) return;
        var delay = _reconnect.DelayBefore(_machine.Attempt + 1, Random);
        if (delay is null)
        {
            var fired = _machine.Fire(ClientTrigger.GiveUp);
            _timeline?.Add(fired, $"after {_machine.Attempt} attempts");
            _metrics.Count(MetricNames.ReconnectGiveUps);
            return;
        }
        var waiting = _machine.Fire(ClientTrigger.Wait);
        _timeline?.Add(waiting, $"next attempt in {delay.Value.TotalMilliseconds:0} ms");
        After(delay.Value, Connect);
    }

    /// <summary>Reconnect refresh: close the connection on purpose and open a new one with the new token at once.</summary>
    private void RefreshByReconnect()
    {
        if (_stopping || _machine.State != ClientState.Open || _connection is null) return;
        End(ClientTrigger.Drop, null, Teardown.Close("token refresh"), "token refresh");
        Fire(ClientTrigger.Wait);
        Connect();
    }

    /// <summary>
    /// The server answered no heartbeat within <c>heartbeat.timeout</c>: the client gives up on the connection as a
    /// real one would (an abort: a server that answers nothing would not answer a close handshake either) and
    /// reconnects through its policy.
    /// </summary>
    private void HeartbeatTimedOut(int generation)
    {
        if (_stopping || generation != Generation || _machine.State != ClientState.Open || _connection is null) return;
        _metrics.Count(MetricNames.HeartbeatTimeouts);
        End(ClientTrigger.Lost, DisconnectCauses.Of(DisconnectCauses.Heartbeat, "timeout"), Teardown.Reset);
        ScheduleReconnect();
    }

    /// <summary>
    /// The protocol gave the connection up by its own rules (a hub silent past serverTimeout, the hub's close message,
    /// a refused handshake): ended with the protocol's cause, then a reconnect by the policy. A silent server is
    /// aborted, as for a heartbeat timeout; a server that said goodbye gets a clean close.
    /// </summary>
    private void ProtocolFailed(int generation, ProtocolFailure failure)
    {
        if (!Listening || generation != Generation || _machine.State != ClientState.Open || _connection is null) return;
        if (failure.ServerTimeout) _metrics.Count(MetricNames.HeartbeatTimeouts);
        if (failure.Handshake && _openNotCounted is not null)
        {
            HandshakeFailed(failure, Teardown.Reset);
        }
        else End(ClientTrigger.Lost, failure.Cause, failure.ClosedByServer ? Teardown.Close("server closed") : Teardown.Reset, failure: failure);
        if (!failure.AllowReconnect)
        {
            // The hub's close said allowReconnect:false: the .NET client then ends the hub connection for good
            // (Closed, no automatic reconnect), and so does this one.
            _metrics.Count(MetricNames.SignalrReconnectsForbidden);
            if (_machine.CanFire(ClientTrigger.GiveUp)) Fire(ClientTrigger.GiveUp, "the server forbade a reconnect");
            return;
        }
        ScheduleReconnect();
    }

    // ------------------------------------------------------------ handovers (for behaviours)

    public void OpenBeside(Action<SimulatedConnection?, Exception?, TimeSpan> inTurn) =>
        Open(OptionsNow(), -1, (listener, connection, error, elapsed) =>
        {
            _beside = connection is null ? null : (connection, listener);
            inTurn(connection, error, elapsed);
        });

    public void Handover(SimulatedConnection fresh, Teardown oldPath, TimeSpan connectTime)
    {
        var old = _connection ?? throw new InvalidOperationException("a handover needs an open connection");
        var generation = ++Generation; // events of the old path are stale from here on
        StopPinger();
        _traffic.Detach();
        _tokens?.Ended(null);
        Kill(old, oldPath);
        _connection = fresh;
        var listener = _beside is { } beside && ReferenceEquals(beside.Connection, fresh) ? beside.Listener : null;
        listener?.Adopt(generation);
        _beside = null;
        CountOpen(); // the old path's, if its handshake was never answered
        Opened(connectTime);
        StartOver(fresh, generation, listener);
    }

    public void WhenPeerGone(SimulatedConnection connection, Action<long> inTurn)
    {
        var generation = Generation;
        connection.PeerGone.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) _turns.Post(() => { if (generation == Generation) inTurn(t.Result); });
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // ------------------------------------------------------------ plumbing

    /// <summary>Fires a transition of the state machine and, for a sampled client, notes it on the timeline.</summary>
    private Transition Fire(ClientTrigger trigger, string? detail = null)
    {
        var transition = _machine.Fire(trigger);
        _timeline?.Add(transition, detail);
        return transition;
    }

    public void Note(string kind, string? detail) => _timeline?.Add(kind, _machine.State, detail);

    /// <summary>Heartbeats over a fresh connection, when the scenario asks for them: WebSocket PINGs or the session's ping frames.</summary>
    private void StartPinger(SimulatedConnection connection, int generation)
    {
        if (_plan.HeartbeatInterval <= TimeSpan.Zero) return;
        void TimedOut() => _turns.Post(() => HeartbeatTimedOut(generation));
        _pinger = _plan.HeartbeatAppLevel && _traffic.Heartbeat is { } heartbeat
            ? HeartbeatPinger.ForProtocol(heartbeat, _plan.HeartbeatInterval, _plan.HeartbeatTimeout, _metrics, _wheel, TimedOut)
            : HeartbeatPinger.ForWebSocket(connection.Stream, _plan.HeartbeatInterval, _plan.HeartbeatTimeout, _metrics, _wheel, TimedOut);
    }

    private void StopPinger()
    {
        _pinger?.Dispose();
        _pinger = null;
    }

    public void Wake(TimeSpan due)
    {
        var generation = Generation;
        After(due, () =>
        {
            if (generation == Generation) _behavior.OnTimer(this);
        });
    }

    public void CancelWake() => CancelTimer();

    /// <summary>One pending timer per client is all the state machine ever needs; its tick is a turn, and a tick of a cancelled timer does nothing.</summary>
    private void After(TimeSpan due, Action action)
    {
        CancelTimer();
        var turn = _timerTurn;
        _timer = _time.CreateTimer(_ => _turns.Post(() =>
        {
            if (turn != _timerTurn) return;
            CancelTimer();
            action();
        }), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void CancelTimer()
    {
        _timerTurn++;
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>A wall-clock instant as a timestamp of the traffic's clock (the timer wheel's).</summary>
    private long TimestampAt(DateTime utc) =>
        _wheel.GetTimestamp() + (long)((utc - _wheel.GetUtcNow().UtcDateTime).TotalSeconds * _wheel.TimestampFrequency);

    private static LinkProfile LinkFor(NetworkPlan network) =>
        new(network.Profile, network.Latency, network.Jitter, network.BandwidthDownBps, network.BandwidthUpBps, network.Loss);

    /// <summary>Lets go of everything at once (the activation is going away without a stop).</summary>
    public void Dispose()
    {
        CancelTimer();
        _rampDown?.Dispose();
        StopPinger();
        _traffic.Dispose();
        _tokens?.Dispose();
        _connection?.Dispose();
        _kept?.Release();
        _heldDeadPath?.Release();
        _ = _instead?.StopAsync();
    }

    /// <summary>
    /// The listener of one connection: it carries the generation the connection belongs to, so a socket thread
    /// never reads the client's state, and posts the connection's end into the client's turn.
    /// </summary>
    private sealed class Listener(ClientRuntime client, int generation) : IConnectionListener
    {
        /// <summary>A server that floods a connection nobody has attached to yet is not held without bound.</summary>
        private const int MaxHeld = 4096;

        private readonly Lock _gate = new();
        private List<string>? _held = [];
        private ConnectionClosed? _closedWhileHeld;
        private int _generation = generation;

        /// <summary>A connection opened beside the current one becomes the current one (a handover).</summary>
        public void Adopt(int newGeneration) => Volatile.Write(ref _generation, newGeneration);

        /// <summary>
        /// For a protocol that numbers messages by their position (SignalR's stateful reconnect), text of a connection
        /// the client has moved on from is dropped here, on the socket thread: a closing socket can still deliver what
        /// it had buffered after the next connection resumed the session, and the protocol would count it into the
        /// resumed stream (its numbering would slip by one). Other protocols read it (the session protocol's books
        /// take the old path's last answers).
        /// Text that arrives before the client made the connection its own (a server that speaks first: SignalR's
        /// resend after a stateful reconnect, Engine.IO's open packet) is held and handed over, in order, once the
        /// protocol is attached. A connection opened beside the current one (no generation until the handover) is
        /// read straight away: the session protocol reads the new path's answers while the old one is still current.
        /// </summary>
        public void OnText(string text)
        {
            var of = Volatile.Read(ref _generation);
            if (client._traffic.ReadsOnlyCurrentConnection && of >= 0 && of != Volatile.Read(ref client._generation)) return;
            if (of >= 0)
            {
                lock (_gate)
                {
                    if (_held is not null)
                    {
                        if (_held.Count < MaxHeld) _held.Add(text);
                        return;
                    }
                }
            }
            client.OnText(text);
        }

        /// <summary>The protocol is attached to this connection: what was held goes to it, then text flows straight through.</summary>
        public void Attached()
        {
            while (true)
            {
                List<string>? batch = null;
                ConnectionClosed? closed = null;
                lock (_gate)
                {
                    if (_held is { Count: > 0 } held)
                    {
                        batch = held;
                        _held = [];
                    }
                    else
                    {
                        _held = null;
                        (closed, _closedWhileHeld) = (_closedWhileHeld, null);
                    }
                }
                if (batch is null)
                {
                    if (closed is { } end) PostClosed(end);
                    return;
                }
                foreach (var text in batch) client.OnText(text);
            }
        }

        /// <summary>The end of the connection comes after its text: while text is held, so is the end, until <see cref="Attached"/>.</summary>
        public void OnClosed(ConnectionClosed closed)
        {
            lock (_gate)
            {
                if (_held is not null && Volatile.Read(ref _generation) >= 0)
                {
                    _closedWhileHeld = closed;
                    return;
                }
            }
            PostClosed(closed);
        }

        private void PostClosed(ConnectionClosed closed)
        {
            var of = Volatile.Read(ref _generation);
            client._turns.Post(() =>
            {
                client.ConnectionLost(of, closed);
                client.SettleIfDone();
            });
        }
    }
}
