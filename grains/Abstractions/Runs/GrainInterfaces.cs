using SimCluster.Abstractions.Plans;

namespace SimCluster.Abstractions.Runs;

/// <summary>One per run (keyed by run id): arms every client, starts them together, enforces the duration, gathers results.</summary>
public interface IRunCoordinatorGrain : IGrainWithStringKey
{
    Task Start(RunPlan plan);

    Task<RunProgress> GetProgress();

    /// <summary>Ends the run early (Ctrl-C, an abort threshold); the result is marked aborted.</summary>
    Task Abort(string reason);

    /// <summary>
    /// The silo <paramref name="silo"/> (its parsable address) is stopping: its clients stop, its final numbers are
    /// taken, and the survivors start its clients again. Returns once its numbers are in (true), or false when
    /// there was nothing to hand over (not a live silo of this running run). When it is the silo holding this
    /// coordinator, the run is handed over as well: true once the clients have migrated and the driver has taken the
    /// coordinator's final checkpoint, from which a survivor carries the run on after the silo has left.
    /// </summary>
    Task<bool> Drain(string silo);

    /// <summary>Null until the run has completed.</summary>
    Task<RunResult?> GetResult();

    /// <summary>The merged metrics so far (cluster-wide), for thresholds checked while the run goes; null before it starts.</summary>
    Task<RunResult?> GetInterimResult();

    /// <summary>
    /// What a survivor needs to carry the run on if this coordinator's silo is lost, with the timeline points after
    /// second <paramref name="afterSecond"/> only (the driver keeps the earlier ones); null while the run is arming.
    /// </summary>
    Task<RunCheckpoint?> GetCheckpoint(int afterSecond);

    /// <summary>
    /// This activation is a re-activation after the coordinator's silo was lost: it takes the run over from the
    /// driver's checkpoint (reads every survivor's clients and numbers, has the lost silo's clients adopted) and
    /// carries it on to its planned end. True when it did (or already runs this run); false when it cannot (the
    /// run had not started, or it holds another run).
    /// </summary>
    Task<bool> TakeOver(RunTakeover takeover);
}

/// <summary>
/// One per run and silo (key <c>RUNID|SILO</c>), pinned to that silo: it activates that silo's share of
/// client grains locally and reads the silo's metrics for the run.
/// </summary>
public interface ISiloAgentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Activates and arms the given clients (indices into the plan); returns how many were armed. The silo is
    /// slice <paramref name="slice"/> of <paramref name="slices"/>: its clients take their source addresses from
    /// that slice of the run's ranges (<see cref="SourceSlot"/>).
    /// </summary>
    Task<int> Arm(RunPlan plan, int[] clientIndices, int slice, int slices);

    /// <summary>Every armed client starts at <paramref name="startAtUtc"/> plus its ramp-up offset.</summary>
    Task Start(DateTime startAtUtc);

    /// <remarks>
    /// Collect, Adopt and Stop carry what they need (the run, the plan, the clients): when a lost silo took part
    /// of the grain directory with it, a call may reach a fresh activation of this agent that knows nothing.
    /// </remarks>
    Task<SiloSnapshot> Collect(string runId);

    /// <summary>
    /// The clients of the run started on this silo and still activated (whatever this activation knows), and the
    /// silo's cumulative numbers: what a coordinator taking a run over merges exactly.
    /// </summary>
    Task<SiloHolding> Holding(string runId);

    /// <summary>
    /// Takes over clients of a lost silo: activates them here (retrying while membership still routes their
    /// grains to the dead silo) and starts them at once. Returns how many were started. They source from this
    /// silo's slice, at places <paramref name="firstPosition"/> on (after the clients this silo already has).
    /// </summary>
    Task<int> Adopt(RunPlan plan, int[] clientIndices, DateTime runStartedAtUtc, int slice, int slices, int firstPosition);

    /// <summary>Closes the given clients, this silo's share (gracefully, then by force after the plan's grace).</summary>
    Task Stop(RunPlan plan, int[] clientIndices);

    /// <summary>
    /// The run ended early and whoever drove it may no longer know who runs what (its coordinator lost, or failed):
    /// stops every client of the run that was started on this silo, whatever this activation knows, and completes
    /// when they have stopped. Returns how many it stopped.
    /// </summary>
    Task<int> Halt(string runId);

    /// <summary>
    /// This silo is stopping: stops every client of the run started here (as <see cref="Halt"/>), deactivates them
    /// so that other silos can start them again, and returns the silo's final numbers for the run.
    /// </summary>
    Task<SiloSnapshot> Drain(string runId);

    /// <summary>
    /// The run is over and its final collection taken: this silo lets go of the run's recorders, case results and
    /// series, so a long-lived silo holds nothing of the runs it has finished.
    /// </summary>
    Task Release(string runId);
}

/// <summary>One simulated client: its own network state machine, behaviour and reconnect policy.</summary>
public interface IClientGrain : IGrainWithStringKey
{
    Task Arm(RunPlan plan, int clientIndex, SourceSlot source);

    Task Start(DateTime startAtUtc);

    Task Stop();

    /// <summary>The client's event timeline; null unless the plan sampled it (<c>RunPlan.TimelineClients</c>).</summary>
    Task<ClientTimeline?> GetTimeline();
}
