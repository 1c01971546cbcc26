using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Behaviors;
using SimCluster.Grains.Behaviors.Zombies;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Reconnect;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// One simulated client. It owns the network state machine, the behaviour (when to drop), the reconnect
/// policy (when to retry) and the echo traffic; the socket itself lives in <see cref="SimulatedConnection"/>.
/// Socket work runs on the thread pool and its outcome is handed back onto this activation's scheduler,
/// so every state change happens inside a grain turn. Immovable: a live socket cannot migrate.
/// </summary>
[Immovable]
[PreferLocalPlacement]
public sealed class ClientGrain(SiloMetrics siloMetrics, TimeProvider time, TimerWheel wheel) : Grain, IClientGrain, IConnectionListener
{
    private RunPlan _plan = null!;
    private GroupPlan _group = null!;
    private int _index;
    private SourceSlot _source = SourceSlot.Whole(0);
    private Random _random = null!;
    private IClientBehavior _behavior = null!;
    private IReconnectPolicy _reconnect = null!;
    private GroupRecorder _metrics = null!;
    private IProtocol _traffic = null!;
    private ConnectOptions _connectOptions = null!;
    private ClientStateMachine _machine = null!;

    private SimulatedConnection? _connection;
    private SimulatedConnection? _heldDeadPath;
    private long _heldSince;
    private int _generation;
    private int _drops;
    private bool _outageWasForced;
    private long _networkBackAt;
    private IGrainTimer? _timer;
    private IGrainTimer? _selfStop;
    /// <summary>The load shape's ramp-down of this client (stages falling past its index); null when it runs to the end.</summary>
    private IGrainTimer? _rampDown;
    private static readonly TimeSpan SelfStopMargin = TimeSpan.FromMinutes(1);
    private bool _stopping;
    private HeartbeatPinger? _pinger;
    private AttackerRunner? _attacker;
    /// <summary>Only for clients the plan sampled for the report's timelines; null (nothing allocated) otherwise.</summary>
    private ClientTimelineRecorder? _timeline;
    private TokenSession? _tokens;

    // Handovers: how many so far, and when the last old path was lost (for switch_resume_time).
    private int _switches;
    private long? _switchLostAt;
    /// <summary>
    /// The connection of this generation ended before its open was processed (a server that fails the
    /// connection at once: a 1 GiB frame right after the upgrade). Replayed when the open is, so the client
    /// does not sit on a dead connection believing it open.
    /// </summary>
    private (int Generation, ConnectionClosed Closed)? _lostWhileOpening;

    // A zombie episode: when it began, and whether it is over (one per client).
    private long? _zombieSince;
    private bool _zombieDone;

    public Task Arm(RunPlan plan, int clientIndex, SourceSlot source)
    {
        _plan = plan;
        _index = clientIndex;
        _source = source;
        _group = plan.GroupOf(clientIndex);
        // One seeded source per client: the same seed and index give the same schedule on any silo.
        _random = new Random(ClientSeed.For(plan.Seed, clientIndex, ClientSeed.Schedule));
        _behavior = BehaviorRegistry.Create(_group);
        _reconnect = ReconnectPolicyRegistry.Create(plan.Reconnect);
        _metrics = siloMetrics.For(plan.RunId, _group.Name);
        _traffic = ProtocolRegistry.Create(plan.Protocol,
            new ProtocolContext(clientIndex, SessionIdFor(plan.RunId, clientIndex, RuntimeIdentity), plan.Messages, _metrics, wheel, _random));
        _traffic.Ready += _ => OnGrainScheduler(SessionResumed);
        _machine = new ClientStateMachine(time);
        if (Array.BinarySearch(plan.TimelineClients, clientIndex) >= 0)
            _timeline = new ClientTimelineRecorder(clientIndex, _group.Name, _group.Behavior, plan.TimelineEventCap, time);
        if (plan.Auth is { } auth)
        {
            var tokenSource = TokenSources.Create(auth, time, new Random(ClientSeed.For(plan.Seed, clientIndex, ClientSeed.Tokens)));
            _tokens = new TokenSession(auth, tokenSource, RefreshModes.Create(auth.RefreshMode), _traffic.RefreshFrames, clientIndex, _metrics, time,
                _ => OnGrainScheduler(RefreshByReconnect));
        }
        var target = new Uri(plan.TargetUrls[clientIndex % plan.TargetUrls.Length]);
        _connectOptions = new ConnectOptions
        {
            Target = target,
            // This silo's own slice of the source ranges, at the client's place in the silo's share.
            LocalAddress = SourceAddressPool.For(target, plan.Network.SourceRanges).Slice(source.Slice, source.Slices).AddressFor(source.Position),
            ConnectTimeout = plan.ConnectTimeout,
            // The .NET keep-alive stays off: its unsolicited PONGs would make a zombie look alive. Client
            // PINGs, when asked for, are ours (HeartbeatPinger), so they can be timed and stopped.
            KeepAliveInterval = TimeSpan.Zero,
            WatchFrames = (plan.HeartbeatInterval > TimeSpan.Zero && !plan.HeartbeatAppLevel) || _behavior is ZombieBehavior,
            SlowReadBytesPerSecond = _group.Zombie is { Kind: "slow-reader" } z ? z.ReadBytesPerSecond : null,
            Link = LinkFor(plan.Network),
            MaxMessageSize = plan.Messages.MaxReceiveSize,
            // A fragmented message unfinished after lossTimeout would only show as lost messages behind it.
            FragmentTimeLimit = plan.Messages.LossTimeout,
            Driver = plan.Driver,
            Seed = ClientSeed.For(plan.Seed, clientIndex, ClientSeed.Link),
            Time = time,
        };
        _connectOptions = _traffic.PrepareUpgrade(_connectOptions);
        DelayDeactivation(plan.Duration + plan.RampUp + TimeSpan.FromMinutes(10));
        return Task.CompletedTask;
    }

    public Task Start(DateTime startAtUtc)
    {
        // A client must never outlive its run: if the coordinator (or its silo) is gone and no Stop comes,
        // the client stops itself a minute after the run's planned end.
        _selfStop = this.RegisterGrainTimer(_ => Stop(), new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromTicks(Math.Max(0, (startAtUtc + _plan.Duration + _plan.StopGrace + SelfStopMargin - time.GetUtcNow().UtcDateTime).Ticks)),
            Period = Timeout.InfiniteTimeSpan,
        });
        // The load shape (rampUp, or stages and connectRate) decides by index when this client starts and, on a
        // ramp-down, stops: deterministic, independent of which silo runs the client.
        var window = LoadShape.For(_plan).WindowOf(_index);
        var offset = window.Start;
        _timeline?.StartsAt(startAtUtc);
        if (!window.Runs) return Task.CompletedTask; // the arrival rate holds it back past its own ramp-down: it never connects
        // The send window: from the client's start (now, for a client re-activated late) to the run's planned
        // end (or its ramp-down), the same instant on every silo, so sending stops everywhere at once whatever the stop calls do.
        var nowUtc = time.GetUtcNow().UtcDateTime;
        var clientStart = startAtUtc + offset > nowUtc ? startAtUtc + offset : nowUtc;
        _traffic.Schedule(TimestampAt(clientStart), TimestampAt(startAtUtc + (window.Stop ?? _plan.Duration)));
        if (window.Stop is { } rampDown)
        {
            // Closed by the tool, cleanly (drain, then 1000): never a disconnect of the server's.
            _rampDown = this.RegisterGrainTimer(_ => StopAsync(rampDown: true), new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.FromTicks(Math.Max(0, (startAtUtc + rampDown - time.GetUtcNow().UtcDateTime).Ticks)),
                Period = Timeout.InfiniteTimeSpan,
            });
        }
        if (_behavior is MalformedBehavior malformed)
        {
            // An attacker skips the echo/drop cycle: its runner cycles through malformed cases until Stop.
            _attacker = new AttackerRunner(_plan.RunId, malformed.Plan, _index - _group.FirstClient, _group.Clients, _index, _connectOptions, _metrics,
                ServiceProvider.GetRequiredService<SiloCaseResults>(), time);
            _attacker.Start(startAtUtc + offset - time.GetUtcNow().UtcDateTime);
            return Task.CompletedTask;
        }
        After(startAtUtc + offset - time.GetUtcNow().UtcDateTime, Connect);
        return Task.CompletedTask;
    }

    public Task<ClientTimeline?> GetTimeline() => Task.FromResult(_timeline?.Snapshot());

    public Task Stop() => StopAsync(rampDown: false);

    /// <param name="rampDown">The load shape ramped down past this client (stages): counted as closed by the tool.</param>
    private async Task StopAsync(bool rampDown)
    {
        if (_machine is null || _stopping) return;
        _stopping = true;
        _selfStop?.Dispose();
        _rampDown?.Dispose();
        var reason = rampDown ? "ramp-down" : "run finished";
        if (rampDown) _metrics.Count(MetricNames.ClientsRampedDown);
        if (_attacker is not null)
        {
            await _attacker.StopAsync();
            return;
        }
        CancelTimer();
        if (_traffic.Resumes && _traffic.Pending > 0 && _machine.State is ClientState.Dropped or ClientState.WaitingToReconnect or ClientState.Connecting
            && _behavior is not ZombieBehavior)
        {
            await FinishHandoverAsync();
        }
        if (!_machine.CanFire(ClientTrigger.Stop))
        {
            _traffic.Finish();
            return;
        }
        var wasOpen = _machine.State == ClientState.Open;
        Fire(ClientTrigger.Stop, reason);
        StopPinger();
        if (_zombieSince is not null && !_zombieDone) ZombieUnobserved(); // the run ended before observeFor did
        _heldDeadPath?.Release();
        _heldDeadPath = null;
        if (wasOpen) _tokens?.Ended(null); // a connection still open at the end may have outlived its token
        if (wasOpen && _connection is { } connection)
        {
            // Drain, then classify: the connection stays open until every answer is in or the newest message's
            // lossTimeout has passed (at most the stop grace), so the close below interrupts nothing.
            await _traffic.DrainAsync(_plan.StopGrace);
            _traffic.Detach();
            _connection = null;
            _metrics.Closed();
            await connection.CloseAsync(1000, reason);
        }
        _traffic.Finish();
        if (_machine.CanFire(ClientTrigger.Stopped)) Fire(ClientTrigger.Stopped);
    }

    // ------------------------------------------------------------ connecting

    private void Connect()
    {
        if (_stopping || !_machine.CanFire(ClientTrigger.Connect)) return;
        var transition = _machine.Fire(ClientTrigger.Connect);
        if (transition.RestoreAttempt) _metrics.Count(MetricNames.RestoresAttempted);
        var generation = ++_generation;
        var options = OptionsNow();
        _timeline?.Add(transition, $"attempt {_machine.Attempt} from {options.LocalAddress}{(options.Link.Name is { } link && link != "loopback" ? $" over {link}" : "")}");
        var started = Stopwatch.GetTimestamp();
        _ = Task.Run(async () =>
        {
            SimulatedConnection? connection = null;
            Exception? error = null;
            try { connection = await SimulatedConnection.OpenAsync(await WithToken(options), this); }
            catch (Exception e) { error = e; }
            var elapsed = Stopwatch.GetElapsedTime(started);
            OnGrainScheduler(() => ConnectCompleted(generation, connection, error, elapsed));
        });
    }

    private void ConnectCompleted(int generation, SimulatedConnection? connection, Exception? error, TimeSpan elapsed)
    {
        if (generation != _generation || _stopping)
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
        _metrics.Count(MetricNames.Connects);
        _metrics.Record(MetricNames.ConnectTime, elapsed);
        if (opened.ReconnectTime is { } reconnectTime)
        {
            _metrics.Record(MetricNames.ReconnectTime, reconnectTime);
            _metrics.Count(MetricNames.Reconnects);
            if (_outageWasForced) _metrics.Record(MetricNames.RecoveryTime, time.GetElapsedTime(_networkBackAt));
        }
        _outageWasForced = false;
        _traffic.Attach(connection);
        _tokens?.Opened(connection);
        StartPinger(connection, generation);

        if (_traffic.ReadyOnAttach) SessionResumed(); // no handshake: the session is "resumed" once the new path is open

        if (_behavior is ZombieBehavior zombie && !_zombieDone)
        {
            After(zombie.Plan.After, () => TurnZombie(generation, zombie));
        }
        else if (_behavior is SwitchingBehavior switching)
        {
            After(switching.Plan.Every.Draw(_random), () => Switch(generation, switching));
        }
        else if (_behavior.NextDrop(_drops, _random) is { } drop)
        {
            After(drop.After, () => Drop(generation, drop));
        }

        if (_lostWhileOpening is { } early)
        {
            _lostWhileOpening = null;
            if (early.Generation == generation) ConnectionLost(generation, early.Closed);
        }
    }

    /// <summary>
    /// The run ended in the middle of a handover (old path gone, new one not yet up) with session messages
    /// still buffered. A real client would finish the handover and replay them, so this one does too,
    /// within the stop grace, instead of reporting as lost what only the end of the run cut off.
    /// </summary>
    private async Task FinishHandoverAsync()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var fresh = await SimulatedConnection.OpenAsync(await WithToken(OptionsNow()), this).WaitAsync(_plan.StopGrace);
            _metrics.Count(MetricNames.Connects);
            _metrics.Record(MetricNames.ConnectTime, Stopwatch.GetElapsedTime(started));
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

    // ------------------------------------------------------------ switching interfaces

    /// <summary>The connect options for the client's current interface (source range and link profile).</summary>
    private ConnectOptions OptionsNow()
    {
        if (_behavior is not SwitchingBehavior switching) return _connectOptions;
        var name = switching.InterfaceAfter(switching.Plan.NatRebinding ? 0 : _switches, _index);
        return _connectOptions with
        {
            LocalAddress = new SourceAddressPool([SwitchingBehavior.RangeOf(name)]).Slice(_source.Slice, _source.Slices).AddressFor(_source.Position),
            Link = SwitchingBehavior.LinkOf(name),
        };
    }

    private void Switch(int generation, SwitchingBehavior switching)
    {
        if (generation != _generation || _machine.State != ClientState.Open || _connection is not { } old) return;
        if (switching.Mode == SwitchMode.MakeBeforeBreak && !switching.Plan.NatRebinding)
        {
            MakeBeforeBreak(generation, switching, old);
            return;
        }
        // Break before make: the old path dies first, then a gap with no connectivity, then the new interface.
        var fate = switching.OldPath.Spelled();
        _timeline?.Add("switch", _machine.State, $"{InterfaceName(switching, _switches)} -> {InterfaceName(switching, _switches + 1)}, break-before-make, gap {switching.Plan.Gap.TotalMilliseconds:0} ms");
        var fired = _machine.Fire(ClientTrigger.Drop);
        _timeline?.Add(fired, DisconnectCauses.Of(DisconnectCauses.Switch, fate));
        _metrics.CountCause(DisconnectCauses.Switch, fate);
        StopPinger();
        _traffic.Detach();
        _tokens?.Ended(null);
        _connection = null;
        _metrics.Closed();
        _metrics.Count(MetricNames.Disconnects);
        _metrics.Count(MetricNames.Switches);
        KillOldPath(old, switching.OldPath);
        _switches++;
        _switchLostAt = time.GetTimestamp();
        _outageWasForced = true;
        _networkBackAt = _switchLostAt.Value + (long)(switching.Plan.Gap.TotalSeconds * time.TimestampFrequency);
        After(switching.Plan.Gap, ScheduleReconnect);
    }

    /// <summary>Make before break: the new interface connects while the old path still works; then the old one dies.</summary>
    private void MakeBeforeBreak(int generation, SwitchingBehavior switching, SimulatedConnection old)
    {
        _switches++;
        var options = OptionsNow();
        var started = Stopwatch.GetTimestamp();
        _ = Task.Run(async () =>
        {
            SimulatedConnection? fresh = null;
            try { fresh = await SimulatedConnection.OpenAsync(await WithToken(options), this); }
            catch (ConnectFailedException e) { OnGrainScheduler(() => SwitchFailed(generation, switching, e)); return; }
            catch (TokenUnavailableException e) { OnGrainScheduler(() => SwitchFailed(generation, switching, new ConnectFailedException(ConnectFailure.Other, e.Message))); return; }
            var elapsed = Stopwatch.GetElapsedTime(started);
            OnGrainScheduler(() => SwitchCompleted(generation, switching, old, fresh, elapsed));
        });
    }

    private void SwitchFailed(int generation, SwitchingBehavior switching, ConnectFailedException error)
    {
        _metrics.Count(MetricNames.ConnectFailures);
        _metrics.CountClose("connect-error:" + error.Label);
        _metrics.CountCause(DisconnectCauses.Connect, error.Label);
        _timeline?.Add("switch-failed", _machine.State, $"new path: {DisconnectCauses.Of(DisconnectCauses.Connect, error.Label)}; the old one stays");
        if (generation == _generation && _machine.State == ClientState.Open) After(switching.Plan.Every.Draw(_random), () => Switch(generation, switching));
    }

    private void SwitchCompleted(int generation, SwitchingBehavior switching, SimulatedConnection old, SimulatedConnection fresh, TimeSpan elapsed)
    {
        if (generation != _generation || _stopping || _machine.State != ClientState.Open || !ReferenceEquals(_connection, old))
        {
            fresh.Dispose(); // the old path was lost meanwhile; the ordinary reconnect takes over
            return;
        }
        var newGeneration = ++_generation; // events of the old path are stale from here on
        _timeline?.Add("switch", _machine.State, $"{InterfaceName(switching, _switches - 1)} -> {InterfaceName(switching, _switches)}, make-before-break, new path open in {elapsed.TotalMilliseconds:0.#} ms, old path: {switching.OldPath.Spelled()}");
        StopPinger();
        _traffic.Detach();
        _tokens?.Ended(null);
        KillOldPath(old, switching.OldPath);
        _switchLostAt = time.GetTimestamp();
        _connection = fresh;
        _metrics.Count(MetricNames.Switches);
        _metrics.Count(MetricNames.Connects);
        _metrics.Record(MetricNames.ConnectTime, elapsed);
        _traffic.Attach(fresh);
        _tokens?.Opened(fresh);
        StartPinger(fresh, newGeneration);
        if (_traffic.ReadyOnAttach) SessionResumed();
        After(switching.Plan.Every.Draw(_random), () => Switch(newGeneration, switching));
    }

    private string InterfaceName(SwitchingBehavior switching, int switches) =>
        switching.Plan.NatRebinding ? $"{switching.InterfaceAfter(0, _index)} (new port)" : switching.InterfaceAfter(switches, _index);

    private void KillOldPath(SimulatedConnection old, OldPathFate fate)
    {
        switch (fate)
        {
            case OldPathFate.Blackhole:
                old.Blackhole();
                HoldDeadPath(old);
                break;
            case OldPathFate.Reset:
                old.Reset();
                break;
            case OldPathFate.Fin:
                old.CloseTcp();
                break;
        }
    }

    /// <summary>The session is whole again after a handover: old path lost → resumed on the new one.</summary>
    private void SessionResumed()
    {
        if (_switchLostAt is not { } lost) return;
        _metrics.Record(MetricNames.SwitchResumeTime, time.GetElapsedTime(lost));
        _timeline?.Add("resumed", _machine.State, $"session whole {time.GetElapsedTime(lost).TotalMilliseconds:0} ms after the old path was lost");
        _switchLostAt = null;
    }

    // ------------------------------------------------------------ zombies

    /// <summary>
    /// The client goes dead in the way its kind says, while the server still holds the connection; from here
    /// on the client only watches for the first sign that the server gave up (Close frame, FIN or RST).
    /// </summary>
    private void TurnZombie(int generation, ZombieBehavior zombie)
    {
        if (generation != _generation || _machine.State != ClientState.Open || _connection is not { } connection) return;
        var fired = _machine.Fire(ClientTrigger.Drop); // the client is gone, whatever the server believes
        _timeline?.Add(fired, $"zombie {zombie.Plan.Kind}");
        _timeline?.Add("zombie-start", _machine.State, $"{zombie.Plan.Kind}: the server still holds the connection");
        StopPinger();
        if (!zombie.Kind.KeepsSending) _traffic.Abandon();
        _metrics.Closed();
        _tokens?.Ended(null);
        _metrics.Count(MetricNames.Zombies);
        zombie.Kind.Apply(connection);
        var since = time.GetTimestamp();
        _zombieSince = since;
        if (zombie.Kind.ServerSeesItAtOnce)
        {
            ZombieDetected(generation, since, "rst");
            return;
        }
        connection.Stream.PeerGone.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) OnGrainScheduler(() => ZombieDetected(generation, t.Result, connection.Stream.PeerCloseCode?.ToString() ?? "1006"));
        }, TaskScheduler.Default);
        After(zombie.Plan.ObserveFor, () => ZombieUndetected(generation));
    }

    private void ZombieDetected(int generation, long at, string how)
    {
        if (generation != _generation || _zombieSince is not { } since || _zombieDone) return;
        _zombieDone = true;
        CancelTimer();
        var elapsed = time.GetElapsedTime(since, at);
        var bound = ((ZombieBehavior)_behavior).Plan.ExpectDetectWithin;
        _metrics.Count(MetricNames.ZombiesDetected);
        _metrics.Record(MetricNames.ZombieDetectTime, elapsed);
        if (bound is { } b && elapsed <= b) _metrics.Count(MetricNames.ZombiesWithinBound);
        _metrics.CountClose(how);
        _metrics.CountCause(DisconnectCauses.Zombie, "evicted");
        _timeline?.Add("zombie-evicted", _machine.State, $"the server gave up after {elapsed.TotalMilliseconds:0} ms ({(how == "rst" ? "RST" : how == "1006" ? "no close frame" : "close " + how)})");
        EndZombie();
    }

    private void ZombieUndetected(int generation)
    {
        if (generation != _generation || _zombieDone) return;
        _zombieDone = true;
        _metrics.Count(MetricNames.ZombiesUndetected);
        _metrics.CountCause(DisconnectCauses.Zombie, "undetected");
        _timeline?.Add("zombie-undetected", _machine.State, "the server still held the connection when observation ended");
        EndZombie();
    }

    /// <summary>The run ended inside the zombie's <c>observeFor</c>: the server had not given up yet, but it was not watched long enough to say it never would.</summary>
    private void ZombieUnobserved()
    {
        _zombieDone = true;
        _metrics.Count(MetricNames.ZombiesUnobserved);
        _metrics.CountCause(DisconnectCauses.Zombie, "unobserved");
        _timeline?.Add("zombie-unobserved", _machine.State, "the run ended before observeFor did; the server still held the connection");
        EndZombie();
    }

    private void EndZombie()
    {
        _traffic.Detach();
        _connection?.Release();
        _connection = null;
    }

    // ------------------------------------------------------------ losing the connection

    void IConnectionListener.OnText(string text)
    {
        if (_tokens is not null && _tokens.OnText(text)) return;
        _traffic.OnText(text);
    }

    void IConnectionListener.OnClosed(ConnectionClosed closed)
    {
        var generation = Volatile.Read(ref _generation);
        OnGrainScheduler(() => ConnectionLost(generation, closed));
    }

    private void ConnectionLost(int generation, ConnectionClosed closed)
    {
        if (_zombieSince is not null && !_zombieDone && generation == _generation)
        {
            // A zombie that still listens (app-dead, half-close, slow-reader) hears the server give up here.
            ZombieDetected(generation, time.GetTimestamp(), closed.Initiator == CloseInitiator.Server && closed.Code is { } c ? c.ToString() : "1006");
            return;
        }
        if (generation == _generation && _machine.State == ClientState.Connecting)
        {
            _lostWhileOpening = (generation, closed);
            return;
        }
        if (generation != _generation || _machine.State != ClientState.Open) return;
        StopPinger();
        CancelTimer();
        var cause = CauseOf(closed);
        _metrics.CountCause(DisconnectCauses.CategoryOf(cause), cause[(cause.IndexOf(':') + 1)..]);
        Fire(ClientTrigger.Lost, cause);
        _traffic.Detach();
        _connection = null;
        _metrics.Closed();
        _metrics.Count(MetricNames.Disconnects);
        int? serverCode = closed.Initiator == CloseInitiator.Server ? closed.Code : null;
        _metrics.CountClose(serverCode is { } code ? code.ToString() : "1006");
        // A server closing a connection whose token has expired is right to do so: not a false disconnect.
        var tokenExpired = _tokens?.Ended(serverCode) ?? false;
        if (closed.Initiator != CloseInitiator.Client && _behavior.IsWellBehaved && !tokenExpired) _metrics.Count(MetricNames.FalseDisconnects);
        ScheduleReconnect();
    }

    /// <summary>The <see cref="DisconnectCauses"/> label of a connection the client did not end on purpose.</summary>
    internal static string CauseOf(ConnectionClosed closed) => closed.Initiator switch
    {
        CloseInitiator.Server => DisconnectCauses.Of(DisconnectCauses.Server, $"close-{closed.Code ?? 1005}"),
        CloseInitiator.Lost => DisconnectCauses.Of(DisconnectCauses.Server, closed.Loss ?? DisconnectCause.Other),
        _ => DisconnectCauses.Of(DisconnectCauses.Tool, "close"),
    };

    private void Drop(int generation, PlannedDrop drop)
    {
        if (generation != _generation || _machine.State != ClientState.Open || _connection is not { } connection) return;
        var mode = drop.Mode.Spelled();
        var fired = _machine.Fire(ClientTrigger.Drop);
        _timeline?.Add(fired, $"{DisconnectCauses.Of(DisconnectCauses.Forced, mode)}, outage {drop.Outage.TotalMilliseconds:0} ms");
        _metrics.CountCause(DisconnectCauses.Forced, mode);
        StopPinger();
        _drops++;
        _traffic.Detach();
        _tokens?.Ended(null);
        _connection = null;
        _metrics.Closed();
        _metrics.Count(MetricNames.Disconnects);
        _metrics.Count(MetricNames.ForcedDrops);
        switch (drop.Mode)
        {
            case DropMode.Close:
                _ = connection.CloseAsync(1000, "flap");
                break;
            case DropMode.Reset:
                connection.Reset();
                break;
            case DropMode.Blackhole:
                connection.Blackhole();
                HoldDeadPath(connection);
                break;
        }
        _outageWasForced = true;
        _networkBackAt = time.GetTimestamp() + (long)(drop.Outage.TotalSeconds * time.TimestampFrequency);
        After(drop.Outage, ScheduleReconnect);
    }

    /// <summary>
    /// Keeps a blackholed socket open (the server still believes in it) and timestamps when the server gives
    /// up on it. One per client: a newer dead path releases the older one with an RST.
    /// </summary>
    private void HoldDeadPath(SimulatedConnection connection)
    {
        _heldDeadPath?.Release();
        _heldDeadPath = connection;
        _heldSince = time.GetTimestamp();
        var since = _heldSince;
        connection.Stream.PeerGone.ContinueWith(t =>
        {
            if (!t.IsCompletedSuccessfully) return;
            _metrics.Record(MetricNames.DeadConnectionHoldTime, time.GetElapsedTime(since, t.Result));
            OnGrainScheduler(() =>
            {
                if (ReferenceEquals(_heldDeadPath, connection)) _heldDeadPath = null;
                connection.Release();
            });
        }, TaskScheduler.Default);
    }

    private void ScheduleReconnect()
    {
        if (_stopping) return;
        var delay = _reconnect.DelayBefore(_machine.Attempt + 1, _random);
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

    // ------------------------------------------------------------ tokens

    /// <summary>The connect options with the client's token in the upgrade request (when the scenario has auth).</summary>
    private async Task<ConnectOptions> WithToken(ConnectOptions options) =>
        _tokens is null ? options : await _tokens.PrepareConnectAsync(options);

    /// <summary>Reconnect refresh: close the connection on purpose and open a new one with the new token at once.</summary>
    private void RefreshByReconnect()
    {
        if (_stopping || _machine.State != ClientState.Open || _connection is not { } old) return;
        _machine.Fire(ClientTrigger.Drop);
        StopPinger();
        _traffic.Detach();
        _tokens!.Ended(null);
        _connection = null;
        _metrics.Closed();
        _ = old.CloseAsync(1000, "token refresh");
        _machine.Fire(ClientTrigger.Wait);
        Connect();
    }

    // ------------------------------------------------------------ plumbing

    /// <summary>Fires a transition of the state machine and, for a sampled client, notes it on the timeline.</summary>
    private Transition Fire(ClientTrigger trigger, string? detail = null)
    {
        var transition = _machine.Fire(trigger);
        _timeline?.Add(transition, detail);
        return transition;
    }

    /// <summary>Heartbeats over a fresh connection, when the scenario asks for them: WebSocket PINGs or the session's ping frames.</summary>
    private void StartPinger(SimulatedConnection connection, int generation)
    {
        if (_plan.HeartbeatInterval <= TimeSpan.Zero) return;
        void TimedOut() => OnGrainScheduler(() => HeartbeatTimedOut(generation));
        _pinger = _plan.HeartbeatAppLevel && _traffic.Heartbeat is { } heartbeat
            ? HeartbeatPinger.ForProtocol(heartbeat, _plan.HeartbeatInterval, _plan.HeartbeatTimeout, _metrics, wheel, TimedOut)
            : HeartbeatPinger.ForWebSocket(connection.Stream, _plan.HeartbeatInterval, _plan.HeartbeatTimeout, _metrics, wheel, TimedOut);
    }

    /// <summary>
    /// The server answered no heartbeat within <c>heartbeat.timeout</c>: the client gives up on the connection as a
    /// real one would (an abort: a server that answers nothing would not answer a close handshake either) and
    /// reconnects through its policy.
    /// </summary>
    private void HeartbeatTimedOut(int generation)
    {
        if (_stopping || generation != _generation || _machine.State != ClientState.Open || _connection is not { } connection) return;
        StopPinger();
        CancelTimer();
        var cause = DisconnectCauses.Of(DisconnectCauses.Heartbeat, "timeout");
        _metrics.Count(MetricNames.HeartbeatTimeouts);
        _metrics.CountCause(DisconnectCauses.Heartbeat, "timeout");
        Fire(ClientTrigger.Lost, cause);
        _traffic.Detach();
        _tokens?.Ended(null);
        _connection = null;
        _metrics.Closed();
        _metrics.Count(MetricNames.Disconnects);
        _metrics.CountClose("heartbeat-timeout");
        connection.Reset();
        ScheduleReconnect();
    }

    private void StopPinger()
    {
        _pinger?.Dispose();
        _pinger = null;
    }

    /// <summary>One pending timer per client is all the state machine ever needs.</summary>
    private void After(TimeSpan due, Action action)
    {
        CancelTimer();
        _timer = this.RegisterGrainTimer(_ =>
        {
            action();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions { DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>Runs <paramref name="action"/> as a turn of this activation (from socket or timer threads).</summary>
    private void OnGrainScheduler(Action action) => GrainContext.Scheduler.QueueAction(action);

    /// <summary>
    /// The session ID of one activation of a client: stable across its reconnects, new when the client is
    /// re-activated on another silo after a silo loss. The new activation has lost the old one's sequence numbers,
    /// so it opens a new session starting at 1 instead of restarting at 1 under an ID whose server side holds
    /// higher numbers (the server would drop those as repeats and nobody would count them).
    /// </summary>
    internal static string SessionIdFor(string runId, int clientIndex, string silo)
    {
        var hash = 2166136261u; // FNV-1a: the same silo gives the same suffix in every process
        foreach (var c in silo) hash = (hash ^ c) * 16777619u;
        return $"{runId}-{clientIndex}-{hash:x8}";
    }

    /// <summary>A wall-clock instant as a timestamp of the traffic's clock (the timer wheel's).</summary>
    private long TimestampAt(DateTime utc) =>
        wheel.GetTimestamp() + (long)((utc - wheel.GetUtcNow().UtcDateTime).TotalSeconds * wheel.TimestampFrequency);

    private static LinkProfile LinkFor(NetworkPlan network) =>
        new(network.Profile, network.Latency, network.Jitter, network.BandwidthDownBps, network.BandwidthUpBps, network.Loss);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CancelTimer();
        StopPinger();
        _traffic?.Dispose();
        _tokens?.Dispose();
        _connection?.Dispose();
        _heldDeadPath?.Release();
        _ = _attacker?.StopAsync();
        return Task.CompletedTask;
    }
}
