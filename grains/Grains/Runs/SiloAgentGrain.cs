using Microsoft.Extensions.Logging;
using Orleans.Core.Internal;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Placement;

namespace SimCluster.Grains.Runs;

/// <summary>
/// A run's representative on one silo. It activates that silo's clients (they land here through local
/// placement), arms and starts them in batches, stops them all at once, and reads the silo's merged metrics for the coordinator.
/// Reentrant so that collections keep flowing while a stop is under way.
/// </summary>
[SiloPinnedPlacement]
[Reentrant]
public sealed class SiloAgentGrain(SiloMetrics metrics, SiloMeter meter, SiloCaseResults cases, SiloRunClients started, ILocalSiloDetails silo, TimeProvider time, ILogger<SiloAgentGrain> logger) : Grain, ISiloAgentGrain
{
    /// <summary>Calls in flight at once when fanning out to clients: enough to be fast, few enough not to flood the silo.</summary>
    private const int Batch = 512;

    private static readonly TimeSpan AdoptPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AdoptCallTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AdoptRetryDelay = TimeSpan.FromSeconds(1);

    private RunPlan? _plan;
    private int[] _clients = [];
    private int _started;
    private int _finished;

    public async Task<int> Arm(RunPlan plan, int[] clientIndices, int slice, int slices)
    {
        _plan = plan;
        _clients = clientIndices;
        meter.RunBegan(plan.RunId, plan.ScenarioName, plan.Groups.Length);
        foreach (var group in plan.Groups) metrics.For(plan.RunId, group.Name); // every group reports, even if empty here
        await ForEachClient((client, index, position) => client.Arm(plan, index, new SourceSlot(slice, slices, position)));
        DelayDeactivation(plan.Duration + plan.RampUp + TimeSpan.FromMinutes(10));
        return _clients.Length;
    }

    public async Task Start(DateTime startAtUtc)
    {
        await ForEachClient((client, _, _) => client.Start(startAtUtc));
        _started = _clients.Length;
    }

    public Task<SiloSnapshot> Collect(string runId) => Task.FromResult(new SiloSnapshot
    {
        Silo = silo.SiloAddress.ToParsableString(),
        // The silo's recorders, not this activation's state: a re-activated agent reports the same numbers.
        Groups = [.. metrics.ForRun(runId).Select(g => g.TakeSnapshot())],
        ClientsArmed = _clients.Length,
        ClientsStarted = _started,
        ClientsFinished = _finished,
        Cases = cases.Snapshot(runId),
    });

    public async Task<SiloHolding> Holding(string runId) => new()
    {
        // The silo's own list, not this activation's: the agent may be a fresh activation after the coordinator's loss.
        Clients = [.. started.Clients(runId).Order()],
        Snapshot = await Collect(runId),
    };

    public async Task<int> Adopt(RunPlan plan, int[] clientIndices, DateTime runStartedAtUtc, int slice, int slices, int firstPosition)
    {
        // After a silo loss this call may reach a fresh activation of this agent (its directory entry was on the
        // lost silo): the plan comes with the call, and the coordinator keeps the authoritative client lists.
        _plan ??= plan;
        string? lastError = null;
        var adopted = 0;
        // Until membership has removed the dead silo everywhere, a call may still be routed to it and fail:
        // retry each client for a bounded time rather than give up on it at the first error.
        var giveUpAt = DateTime.UtcNow + AdoptPatience;
        await Task.WhenAll(clientIndices.Select(async (index, i) =>
        {
            var client = GrainFactory.GetGrain<IClientGrain>(ClientKey(plan.RunId, index));
            var source = new SourceSlot(slice, slices, firstPosition + i); // this silo's addresses, after its own clients'
            while (true)
            {
                try
                {
                    await client.Arm(plan, index, source).WaitAsync(AdoptCallTimeout);
                    // Its ramp-up slot is in the past, so it starts at once.
                    await client.Start(runStartedAtUtc).WaitAsync(AdoptCallTimeout);
                    Interlocked.Increment(ref adopted);
                    return;
                }
                catch (Exception e) when (DateTime.UtcNow < giveUpAt)
                {
                    lastError = e.GetBaseException().Message;
                    await Task.Delay(AdoptRetryDelay);
                }
                catch (Exception)
                {
                    return; // counted as lost, not re-activated
                }
            }
        }));
        _clients = [.. _clients, .. clientIndices];
        _started = _clients.Length;
        if (adopted < clientIndices.Length)
            logger.LogWarning("adopted {Adopted} of {Clients} clients of a lost silo; last error: {Error}", adopted, clientIndices.Length, lastError);
        return adopted;
    }

    /// <summary>
    /// Stops every client of this silo at once, not in batches: each one drains (waits up to the stop grace for
    /// its answers in flight) before it closes, and batches of drains one after another would keep the later
    /// batches' connections open, and their books unsettled, for many graces. Returns when every client confirmed.
    /// </summary>
    public async Task Stop(RunPlan plan, int[] clientIndices)
    {
        _plan ??= plan;
        _clients = clientIndices;
        await Task.WhenAll(_clients.Select(async index =>
        {
            await GrainFactory.GetGrain<IClientGrain>(ClientKey(plan.RunId, index)).Stop();
            Interlocked.Increment(ref _finished);
        }));
        meter.RunEnded(plan.RunId); // the run's series leave this silo's /metrics
    }

    /// <summary>How long a drain waits for its stopped clients to deactivate (their directory entries must go first).</summary>
    private static readonly TimeSpan DeactivationPatience = TimeSpan.FromSeconds(10);

    public async Task<SiloSnapshot> Drain(string runId)
    {
        started.Draining = true;
        var clients = started.Clients(runId);
        await started.StopAllAsync(runId);
        _finished = clients.Count;
        // Deactivated, so that the survivors' calls create these clients there rather than reach the stopped ones here.
        await Task.WhenAll(clients.Select(index =>
            GrainFactory.GetGrain<IClientGrain>(ClientKey(runId, index)).AsReference<IGrainManagementExtension>().DeactivateOnIdle().AsTask()));
        if (!await started.WhenGoneAsync(runId, DeactivationPatience, time))
            logger.LogWarning("{Left} clients of run {RunId} had not deactivated {Seconds} s after the drain's stop", started.Count(runId), runId, DeactivationPatience.TotalSeconds);
        meter.RunEnded(runId);
        return await Collect(runId);
    }

    public async Task<int> Halt(string runId)
    {
        var clients = started.Count(runId);
        await started.StopAllAsync(runId);
        meter.RunEnded(runId);
        return clients;
    }

    public async Task Release(string runId)
    {
        started.Forget(runId);
        meter.RunEnded(runId); // a stop that never confirmed here left its series
        metrics.Forget(runId);
        cases.Forget(runId);
        // Each client holds its group's recorder: kept alive for minutes after the run, it would keep them all.
        await ForEachClient((client, _, _) => client.AsReference<IGrainManagementExtension>().DeactivateOnIdle().AsTask());
        DeactivateOnIdle();
    }

    /// <summary>Calls every client of this silo in batches, with its index in the run and its place in this silo's share.</summary>
    private async Task ForEachClient(Func<IClientGrain, int, int, Task> call)
    {
        if (_plan is null) return;
        for (var i = 0; i < _clients.Length; i += Batch)
        {
            var first = i;
            var batch = _clients.AsMemory(i, Math.Min(Batch, _clients.Length - i)).ToArray();
            await Task.WhenAll(batch.Select((index, j) => call(GrainFactory.GetGrain<IClientGrain>(ClientKey(_plan.RunId, index)), index, first + j)));
        }
    }

    public static string ClientKey(string runId, int index) => $"{runId}/{index}";
}
