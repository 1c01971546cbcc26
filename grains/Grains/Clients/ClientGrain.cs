using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// One simulated client as an Orleans grain: arms a <see cref="ClientRuntime"/> (the client itself, no Orleans),
/// starts and stops it, and hands out its timeline. The activation's scheduler is the client's turn: socket and
/// timer callbacks are posted onto it, so every state change happens inside a grain turn.
/// Immovable: a live socket cannot migrate.
/// </summary>
[Immovable]
[PreferLocalPlacement]
public sealed class ClientGrain(SiloMetrics siloMetrics, SiloCaseResults caseResults, Runs.SiloRunClients started, TimeProvider time, TimerWheel wheel)
    : Grain, IClientGrain, IClientTurns
{
    private static readonly TimeSpan SelfStopMargin = TimeSpan.FromMinutes(1);
    private ClientRuntime? _client;
    private RunPlan _plan = null!;
    private ITimer? _selfStop;
    private int _index;

    public Task Arm(RunPlan plan, int clientIndex, SourceSlot source)
    {
        if (started.Draining)
        {
            // This silo is handing its clients over: a call that still reached it is retried, and lands on a silo that stays.
            DeactivateOnIdle();
            throw new InvalidOperationException("this silo is stopping and takes no clients");
        }
        _plan = plan;
        _index = clientIndex;
        var metrics = siloMetrics.For(plan.RunId, plan.GroupOf(clientIndex).Name);
        _client = new ClientRuntime(new ClientSetup(plan, clientIndex, source, metrics, time, wheel, this, SocketConnections.Instance, caseResults,
            random => ProtocolRegistry.Create(plan.Protocol,
                new ProtocolContext(clientIndex, SessionIdFor(plan.RunId, clientIndex, RuntimeIdentity), plan.Messages, metrics, wheel, random, plan.Json, plan.Socketio, plan.GraphqlWs) { Signalr = plan.Signalr })));
        DelayDeactivation(plan.Duration + plan.RampUp + TimeSpan.FromMinutes(10));
        return Task.CompletedTask;
    }

    public Task Start(DateTime startAtUtc)
    {
        // A client must never outlive its run: if the coordinator (or its silo) is gone and no Stop comes,
        // the client stops itself a minute after the run's planned end. A wheel timer, not a grain timer: one
        // per client, and an Orleans timer adds a .NET timer and its registration with the activation to each.
        var due = TimeSpan.FromTicks(Math.Max(0, (startAtUtc + _plan.Duration + _plan.StopGrace + SelfStopMargin - time.GetUtcNow().UtcDateTime).Ticks));
        _selfStop = wheel.CreateTimer(_ => ((IClientTurns)this).Post(() => _ = Stop()), null, due, Timeout.InfiniteTimeSpan);
        _client?.Start(startAtUtc);
        if (_client is not null) started.Started(_plan.RunId, _index, StopOnOwnTurn);
        return Task.CompletedTask;
    }

    /// <summary>Stop, run on this activation's scheduler from outside a grain call (the silo's halt of a run).</summary>
    private Task StopOnOwnTurn()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GrainContext.Scheduler.QueueAction(() => Stop().ContinueWith(t =>
        {
            if (t.Exception is { } e) stopped.TrySetException(e.InnerExceptions);
            else stopped.TrySetResult();
        }, TaskScheduler.Default));
        return stopped.Task;
    }

    public Task<ClientTimeline?> GetTimeline() => Task.FromResult(_client?.Timeline);

    public Task Stop()
    {
        _selfStop?.Dispose();
        return _client?.StopAsync() ?? Task.CompletedTask;
    }

    void IClientTurns.Post(Action action) => GrainContext.Scheduler.QueueAction(action);

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

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_plan is not null) started.Gone(_plan.RunId, _index);
        _selfStop?.Dispose();
        _client?.Dispose();
        return Task.CompletedTask;
    }
}
