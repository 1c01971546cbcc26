using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Behaviors;
using SimCluster.Grains.Behaviors.Zombies;
using SimCluster.Grains.Metrics;
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
public sealed class ClientGrain(SiloMetrics siloMetrics, TimeProvider time) : Grain, IClientGrain, IConnectionListener
{
    private RunPlan _plan = null!;
    private GroupPlan _group = null!;
    private int _index;
    private Random _random = null!;
    private IClientBehavior _behavior = null!;
    private IReconnectPolicy _reconnect = null!;
    private GroupRecorder _metrics = null!;
    private ITraffic _traffic = null!;
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
    private bool _stopping;
    private HeartbeatPinger? _pinger;
    private AttackerRunner? _attacker;

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

    public Task Arm(RunPlan plan, int clientIndex)
    {
        _plan = plan;
        _index = clientIndex;
        _group = plan.GroupOf(clientIndex);
        // One seeded source per client: the same seed and index give the same schedule on any silo.
        _random = new Random(ClientSeed.For(plan.Seed, clientIndex, ClientSeed.Schedule));
        _behavior = BehaviorRegistry.Create(_group);
        _reconnect = ReconnectPolicyRegistry.Create(plan.Reconnect);
        _metrics = siloMetrics.For(plan.RunId, _group.Name);
        _traffic = plan.Protocol == "session"
            ? new SessionTraffic($"{plan.RunId}-{clientIndex}", plan.Messages, _metrics, time, _random)
            : new EchoTraffic(clientIndex, plan.Messages, _metrics, time, _random);
        if (_traffic is SessionTraffic session) session.Welcomed += _ => OnGrainScheduler(SessionResumed);
        _machine = new ClientStateMachine(time);
        var target = new Uri(plan.TargetUrls[clientIndex % plan.TargetUrls.Length]);
        _connectOptions = new ConnectOptions
        {
            Target = target,
            LocalAddress = SourceAddressPool.For(target, plan.Network.SourceRanges).AddressFor(clientIndex),
            ConnectTimeout = plan.ConnectTimeout,
            // The .NET keep-alive stays off: its unsolicited PONGs would make a zombie look alive. Client
            // PINGs, when asked for, are ours (HeartbeatPinger), so they can be timed and stopped.
            KeepAliveInterval = TimeSpan.Zero,
            WatchFrames = plan.HeartbeatInterval > TimeSpan.Zero || _behavior is ZombieBehavior,
            SlowReadBytesPerSecond = _group.Zombie is { Kind: "slow-reader" } z ? z.ReadBytesPerSecond : null,
            Link = LinkFor(plan.Network),
            MaxMessageSize = plan.Messages.MaxReceiveSize,
            Driver = plan.Driver == "lean" ? ClientDriver.Lean : ClientDriver.WebsocketClient,
            Seed = ClientSeed.For(plan.Seed, clientIndex, ClientSeed.Link),
            Time = time,
        };
        DelayDeactivation(plan.Duration + plan.RampUp + TimeSpan.FromMinutes(10));
        return Task.CompletedTask;
    }

    public Task Start(DateTime startAtUtc)
    {
        // Ramp-up spreads starts evenly by index: deterministic, independent of which silo runs the client.
        var offset = _plan.Clients <= 1 ? TimeSpan.Zero : _plan.RampUp * ((double)_index / _plan.Clients);
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

    public async Task Stop()
    {
        if (_machine is null || _stopping) return;
        _stopping = true;
        if (_attacker is not null)
        {
            await _attacker.StopAsync();
            return;
        }
        CancelTimer();
        if (_traffic is SessionTraffic && _traffic.Pending > 0 && _machine.State is ClientState.Dropped or ClientState.WaitingToReconnect or ClientState.Connecting
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
        _machine.Fire(ClientTrigger.Stop);
        StopPinger();
        if (_zombieSince is not null && !_zombieDone) ZombieUndetected(_generation); // the run ended first
        _heldDeadPath?.Release();
        _heldDeadPath = null;
        if (wasOpen && _connection is { } connection)
        {
            // Let answers in flight come home before closing, so a clean stop loses nothing.
            _traffic.StopSending();
            var deadline = time.GetTimestamp() + (long)(Math.Min(_plan.StopGrace.TotalSeconds, _plan.Messages.LossTimeout.TotalSeconds) * time.TimestampFrequency);
            while (_traffic.Pending > 0 && time.GetTimestamp() < deadline) await Task.Delay(50);
            _traffic.Detach();
            _connection = null;
            _metrics.Closed();
            await connection.CloseAsync(1000, "run finished");
        }
        _traffic.Finish();
        if (_machine.CanFire(ClientTrigger.Stopped)) _machine.Fire(ClientTrigger.Stopped);
    }

    // ------------------------------------------------------------ connecting

    private void Connect()
    {
        if (_stopping || !_machine.CanFire(ClientTrigger.Connect)) return;
        _machine.Fire(ClientTrigger.Connect);
        var generation = ++_generation;
        var options = OptionsNow();
        var started = Stopwatch.GetTimestamp();
        _ = Task.Run(async () =>
        {
            SimulatedConnection? connection = null;
            Exception? error = null;
            try { connection = await SimulatedConnection.OpenAsync(options, this); }
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
            if (_machine.State == ClientState.Closing && _machine.CanFire(ClientTrigger.Stopped)) _machine.Fire(ClientTrigger.Stopped);
            return;
        }
        if (connection is null)
        {
            _metrics.Count(MetricNames.ConnectFailures);
            _metrics.CountClose("connect-error:" + ((error as ConnectFailedException)?.Label ?? "other"));
            _machine.Fire(ClientTrigger.ConnectFailed);
            ScheduleReconnect();
            return;
        }

        var opened = _machine.Fire(ClientTrigger.Opened);
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
        if (_plan.HeartbeatInterval > TimeSpan.Zero)
            _pinger = new HeartbeatPinger(connection.Stream, _plan.HeartbeatInterval, _metrics, time);

        if (_traffic is not SessionTraffic) SessionResumed(); // echo: the session is "resumed" once the new path is open

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
            using var fresh = await SimulatedConnection.OpenAsync(OptionsNow(), this).WaitAsync(_plan.StopGrace);
            _metrics.Count(MetricNames.Connects);
            _metrics.Record(MetricNames.ConnectTime, Stopwatch.GetElapsedTime(started));
            _traffic.Attach(fresh);
            _traffic.StopSending();
            var deadline = time.GetTimestamp() + (long)(_plan.StopGrace.TotalSeconds * time.TimestampFrequency);
            while (_traffic.Pending > 0 && time.GetTimestamp() < deadline) await Task.Delay(50);
            _traffic.Detach();
            await fresh.CloseAsync(1000, "run finished");
        }
        catch (Exception e) when (e is ConnectFailedException or TimeoutException)
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
            LocalAddress = new SourceAddressPool([SwitchingBehavior.RangeOf(name)]).AddressFor(_index),
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
        _machine.Fire(ClientTrigger.Drop);
        StopPinger();
        _traffic.Detach();
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
            try { fresh = await SimulatedConnection.OpenAsync(options, this); }
            catch (ConnectFailedException e) { OnGrainScheduler(() => SwitchFailed(generation, switching, e)); return; }
            var elapsed = Stopwatch.GetElapsedTime(started);
            OnGrainScheduler(() => SwitchCompleted(generation, switching, old, fresh, elapsed));
        });
    }

    private void SwitchFailed(int generation, SwitchingBehavior switching, ConnectFailedException error)
    {
        _metrics.Count(MetricNames.ConnectFailures);
        _metrics.CountClose("connect-error:" + error.Label);
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
        StopPinger();
        _traffic.Detach();
        KillOldPath(old, switching.OldPath);
        _switchLostAt = time.GetTimestamp();
        _connection = fresh;
        _metrics.Count(MetricNames.Switches);
        _metrics.Count(MetricNames.Connects);
        _metrics.Record(MetricNames.ConnectTime, elapsed);
        _traffic.Attach(fresh);
        if (_plan.HeartbeatInterval > TimeSpan.Zero) _pinger = new HeartbeatPinger(fresh.Stream, _plan.HeartbeatInterval, _metrics, time);
        if (_traffic is not SessionTraffic) SessionResumed();
        After(switching.Plan.Every.Draw(_random), () => Switch(newGeneration, switching));
    }

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
        _machine.Fire(ClientTrigger.Drop); // the client is gone, whatever the server believes
        StopPinger();
        if (!zombie.Kind.KeepsSending) _traffic.Abandon();
        _metrics.Closed();
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
            if (t.IsCompletedSuccessfully) OnGrainScheduler(() => ZombieDetected(generation, t.Result, "1006"));
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
        EndZombie();
    }

    private void ZombieUndetected(int generation)
    {
        if (generation != _generation || _zombieDone) return;
        _zombieDone = true;
        _metrics.Count(MetricNames.ZombiesUndetected);
        EndZombie();
    }

    private void EndZombie()
    {
        _traffic.Detach();
        _connection?.Release();
        _connection = null;
    }

    // ------------------------------------------------------------ losing the connection

    void IConnectionListener.OnText(string text) => _traffic.OnText(text);

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
        _machine.Fire(ClientTrigger.Lost);
        _traffic.Detach();
        _connection = null;
        _metrics.Closed();
        _metrics.Count(MetricNames.Disconnects);
        _metrics.CountClose(closed.Initiator == CloseInitiator.Server && closed.Code is { } code ? code.ToString() : "1006");
        if (closed.Cause is { } cause) _metrics.CountClose(CloseKeys.DisconnectCause + cause);
        if (closed.Initiator != CloseInitiator.Client && _behavior.IsWellBehaved) _metrics.Count(MetricNames.FalseDisconnects);
        ScheduleReconnect();
    }

    private void Drop(int generation, PlannedDrop drop)
    {
        if (generation != _generation || _machine.State != ClientState.Open || _connection is not { } connection) return;
        _machine.Fire(ClientTrigger.Drop);
        StopPinger();
        _drops++;
        _traffic.Detach();
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
            _machine.Fire(ClientTrigger.GiveUp);
            _metrics.Count(MetricNames.ReconnectGiveUps);
            return;
        }
        _machine.Fire(ClientTrigger.Wait);
        After(delay.Value, Connect);
    }

    // ------------------------------------------------------------ plumbing

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

    private static LinkProfile LinkFor(NetworkPlan network) =>
        new(network.Profile, network.Latency, network.Jitter, network.BandwidthDownBps, network.BandwidthUpBps, network.Loss);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CancelTimer();
        StopPinger();
        _traffic?.Dispose();
        _connection?.Dispose();
        _heldDeadPath?.Release();
        _ = _attacker?.StopAsync();
        return Task.CompletedTask;
    }
}
