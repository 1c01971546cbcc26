using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Placement;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Placement: which silo runs which clients. Client i goes to silo i mod n, so silo loads differ by at most one
/// client; silo k of n takes slice k of the run's source addresses. Clients of a lost silo are dealt to the
/// survivors the same way, after the clients each already has.
/// </summary>
public sealed class RunRoster
{
    private readonly List<RunSilo> _silos;

    private RunRoster(List<RunSilo> silos) => _silos = silos;

    /// <summary>Every silo the run was armed on, lost ones included, in slice order.</summary>
    public IReadOnlyList<RunSilo> All => _silos;

    /// <summary>Silos membership has not declared dead and that have not drained (left the run with their final numbers).</summary>
    public IEnumerable<RunSilo> Live => _silos.Where(s => !s.IsLost && !s.IsDrained);

    /// <summary>Silos that drained: their final numbers stand in every later collection.</summary>
    public IEnumerable<RunSilo> Drained => _silos.Where(s => s.IsDrained);

    public int Count => _silos.Count;

    public RunSilo this[string name] => _silos.First(s => s.Name == name);

    /// <summary>Spreads the plan's clients over <paramref name="silos"/> (ordered by address, so every reader agrees).</summary>
    public static RunRoster Spread(RunPlan plan, IReadOnlyList<SiloAddress> silos, IGrainFactory grains)
    {
        if (silos.Count == 0) throw new InvalidOperationException("no active silo in the cluster");
        var ordered = silos.OrderBy(s => s.ToParsableString()).ToArray();
        var shares = new List<int>[ordered.Length];
        for (var s = 0; s < ordered.Length; s++) shares[s] = [];
        for (var i = 0; i < plan.Clients; i++) shares[i % ordered.Length].Add(i);
        return new RunRoster([.. ordered.Select((address, s) => new RunSilo(
            address.ToParsableString(), address, grains.GetGrain<ISiloAgentGrain>(SiloPinnedPlacement.KeyFor(plan.RunId, address)), s, [.. shares[s]]))]);
    }

    /// <summary>The roster a checkpoint kept (a coordinator taking the run over): the same silos, slices and shares.</summary>
    public static RunRoster Restore(RunPlan plan, IEnumerable<CheckpointSilo> silos, IGrainFactory grains) => new([.. silos.OrderBy(s => s.Slice).Select(s =>
    {
        var address = SiloAddress.FromParsableString(s.Name);
        var silo = new RunSilo(s.Name, address, grains.GetGrain<ISiloAgentGrain>(SiloPinnedPlacement.KeyFor(plan.RunId, address)), s.Slice, s.Share, s.ArmedClients)
        {
            Adopted = s.Adopted,
            LostAtSecond = s.LostAtSecond,
            LastAnswerSecond = s.LastAnswerSecond,
            LastCollectedAtSecond = s.LastCollectedAtSecond,
            LostClients = s.LostClients,
            ReactivatedAtSecond = s.ReactivatedAtSecond,
            DrainedAtSecond = s.DrainedAtSecond,
            Final = s.Final,
            DrainedClients = s.DrainedClients,
            MigratedClients = s.MigratedClients,
            MigratedIn = s.MigratedIn,
        };
        silo.Pace.Seed(s.PeakRates);
        return silo;
    })]);

    /// <summary>The roster as a checkpoint keeps it.</summary>
    public CheckpointSilo[] Checkpoint() => [.. _silos.Select(s => new CheckpointSilo
    {
        Name = s.Name,
        Slice = s.Slice,
        ArmedClients = s.ArmedClients,
        Share = s.Share,
        Adopted = s.Adopted,
        LostAtSecond = s.LostAtSecond,
        LastAnswerSecond = s.LastAnswerSecond,
        LastCollectedAtSecond = s.LastCollectedAtSecond,
        PeakRates = s.Pace.PeakRates.ToDictionary(),
        LostClients = s.LostClients,
        ReactivatedAtSecond = s.ReactivatedAtSecond,
        DrainedAtSecond = s.DrainedAtSecond,
        Final = s.Final,
        DrainedClients = s.DrainedClients,
        MigratedClients = s.MigratedClients,
        MigratedIn = s.MigratedIn,
    })];

    /// <summary>
    /// Deals <paramref name="clients"/> over <paramref name="survivors"/> round robin and adds them to their
    /// shares at once (a second loss handled meanwhile must place its clients after these). Each move carries
    /// the survivor's share length before it, where the adopted clients' source addresses begin.
    /// </summary>
    public ClientMove[] PlaceOnSurvivors(int[] clients, IReadOnlyList<RunSilo> survivors)
    {
        var moves = survivors.Select((silo, s) => new ClientMove(silo, [.. clients.Where((_, i) => i % survivors.Count == s)], silo.Share.Length)).ToArray();
        foreach (var m in moves) m.To.Share = [.. m.To.Share, .. m.Clients];
        return moves;
    }
}

/// <summary>Clients dealt to a survivor; <see cref="FirstPosition"/> is where they start in its source slice.</summary>
public sealed record ClientMove(RunSilo To, int[] Clients, int FirstPosition);

/// <summary>One silo of a run as the coordinator sees it: its agent, its clients, and what happened to it.</summary>
public sealed class RunSilo(string name, SiloAddress address, ISiloAgentGrain agent, int slice, int[] share, int? armedClients = null)
{
    public string Name { get; } = name;
    public SiloAddress Address { get; } = address;
    public ISiloAgentGrain Agent { get; } = agent;
    /// <summary>Its slice of the run's source addresses.</summary>
    public int Slice { get; } = slice;
    /// <summary>The clients it was armed with.</summary>
    public int ArmedClients { get; } = armedClients ?? share.Length;
    /// <summary>The clients it runs now: its own, then any it adopted (the authoritative list for its stop).</summary>
    public int[] Share { get; internal set; } = share;
    /// <summary>Clients of lost silos it re-activated.</summary>
    public int Adopted { get; internal set; }
    /// <summary>The second of the run membership declared it dead; null while it lives.</summary>
    public double? LostAtSecond { get; internal set; }
    public bool IsLost => LostAtSecond is not null;
    /// <summary>Missed a collection and is not (yet) declared dead: its last snapshot stands.</summary>
    public bool Unanswering { get; internal set; }
    /// <summary>The second of the run of its latest answer to a collection (the timeline point it went into).</summary>
    public int? LastAnswerSecond { get; internal set; }
    /// <summary>When the collection it last answered began, in seconds of the run: its numbers are as of then.</summary>
    public double? LastCollectedAtSecond { get; internal set; }
    /// <summary>Its clients' pace, from its answers: what the hole it leaves when lost may hold.</summary>
    public SiloPace Pace { get; } = new();
    /// <summary>Its clients when it was lost (its own and any it had adopted).</summary>
    public int LostClients { get; internal set; }
    /// <summary>How many of its clients the survivors started again.</summary>
    public int ReactivatedClients { get; internal set; }
    /// <summary>When the survivors had re-activated its clients, in seconds of the run; null if they were not.</summary>
    public double? ReactivatedAtSecond { get; internal set; }
    /// <summary>Asked to stop (SIGTERM, a pod deletion): it is handing its clients over; it takes no clients of others.</summary>
    public bool Draining { get; internal set; }
    /// <summary>When its clients had stopped and its final numbers were in, in seconds of the run; null unless it drained.</summary>
    public double? DrainedAtSecond { get; internal set; }
    public bool IsDrained => DrainedAtSecond is not null;
    /// <summary>A drained silo's final numbers, taken after all its clients stopped.</summary>
    public SiloSnapshot? Final { get; internal set; }
    /// <summary>Its clients when it drained, and how many of them the survivors started again.</summary>
    public int DrainedClients { get; internal set; }
    public int MigratedClients { get; internal set; }
    /// <summary>Clients of drained silos this silo took over.</summary>
    public int MigratedIn { get; internal set; }
    /// <summary>Alive but silent at the final collection: its clients' numbers since its last answer are missing.</summary>
    public bool MissedFinal { get; internal set; }
    /// <summary>Did not confirm its clients stopped: its final numbers may come from running clients.</summary>
    public bool StopUnconfirmed { get; internal set; }
}
