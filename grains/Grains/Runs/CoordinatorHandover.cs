namespace SimCluster.Grains.Runs;

/// <summary>
/// The silo holding a run's coordinator is asked to stop (SIGTERM, a pod deletion): the coordinator would go with it,
/// so before the silo leaves it hands the run over instead of leaving a hole. Its own silo drains as any stopping silo
/// does (<see cref="SiloDrainHandler"/>: clients stopped, final numbers in, clients migrated to the survivors), then
/// the coordinator stops collecting (its state no longer changes), and its final checkpoint, marked handed over, waits
/// for the driver to take it. Once the silo has left, the driver hands that checkpoint to the coordinator's
/// re-activation on a survivor (<see cref="CoordinatorTakeover"/>), which has nothing to re-activate and no hole to
/// report. Every step is bounded by what is left of the silo's drain patience (<see cref="SiloDrain.Patience"/>):
/// past it the silo leaves anyway, and the take-over starts from the driver's latest checkpoint as after a loss.
/// </summary>
public sealed class CoordinatorHandover(TimeProvider time)
{
    /// <summary>Left of the silo's drain patience when the handover gives up waiting, so its answer reaches the silo in time.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Kept for the driver's fetch when waiting for the migrations: it asks for progress every second and takes the
    /// checkpoint at once when told a handover is ready.
    /// </summary>
    public static readonly TimeSpan FetchWindow = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _freeze = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _taken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the coordinator must stop collecting (its collection loop ends on it, without a stop).</summary>
    public Task Freezing => _freeze.Task;

    /// <summary>The coordinator has stopped collecting for a handover: it changes nothing of the run any more.</summary>
    public bool Frozen => _freeze.Task.IsCompleted;

    /// <summary>When the final checkpoint was ready (the collection loop had ended); null until then.</summary>
    public DateTime? ReadyAtUtc { get; private set; }

    public bool Started { get; private set; }

    /// <summary>
    /// Hands the run over by <paramref name="by"/>: true once the driver has taken the final checkpoint; false when the
    /// run stopped being <paramref name="running"/> first (its own stop then takes the silo's numbers) or a step did not
    /// finish in time. <paramref name="hereWithClients"/> is false when this silo runs none of the run's clients (the
    /// coordinator was re-activated on a silo outside the run's roster): then only the coordinator moves.
    /// </summary>
    public async Task<bool> RunAsync(SiloDrainHandler drains, string silo, bool hereWithClients, Task loopEnded, Func<bool> running, DateTimeOffset by)
    {
        if (Started) return false;
        Started = true;
        if (hereWithClients && !await drains.DrainAsync(silo)) return false;
        // The survivors must hold its clients before the checkpoint says so (and before this silo leaves).
        if (!await WithinAsync(drains.Migrations, by - FetchWindow) || !running()) return false;
        _freeze.TrySetResult();
        if (!await WithinAsync(loopEnded, by - FetchWindow)) return false;
        ReadyAtUtc = time.GetUtcNow().UtcDateTime;
        return await WithinAsync(_taken.Task, by);
    }

    /// <summary>The driver took a checkpoint: the final one if it was ready.</summary>
    public void CheckpointTaken()
    {
        if (ReadyAtUtc is not null) _taken.TrySetResult();
    }

    private async Task<bool> WithinAsync(Task task, DateTimeOffset by)
    {
        var left = by - time.GetUtcNow();
        if (left <= TimeSpan.Zero) return task.IsCompleted;
        try { await task.WaitAsync(left, time); }
        catch (TimeoutException) { return false; }
        return true;
    }
}
