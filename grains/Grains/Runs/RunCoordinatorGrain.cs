using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Placement;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Runs one scenario across the cluster: splits the clients evenly over the active silos, has each silo's
/// agent arm its share, starts everyone at one instant, collects metrics every second, stops the clients
/// when the duration is over and keeps the merged result for the CLI. Reentrant so progress queries are
/// answered while a phase is under way.
/// </summary>
[Reentrant]
public sealed class RunCoordinatorGrain(TimeProvider time, ILocalSiloDetails localSilo, ILogger<RunCoordinatorGrain> logger) : Grain, IRunCoordinatorGrain
{
    /// <summary>Lead time so every silo has the start instant before it arrives.</summary>
    private static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(5);
    /// <summary>Beyond the stop grace (the drain), time for every client's closing handshake.</summary>
    private static readonly TimeSpan StopCloseMargin = TimeSpan.FromSeconds(30);

    private RunPlan? _plan;
    private RunPhase _phase = RunPhase.Arming;
    private RunAccumulator? _accumulator;
    private readonly Dictionary<string, (ISiloAgentGrain Agent, int Clients)> _agents = [];
    private readonly Dictionary<string, SiloAddress> _siloAddresses = [];
    private readonly Dictionary<string, int[]> _shares = [];
    /// <summary>Each silo's slice of the run's source addresses (silo k of n takes slice k).</summary>
    private readonly Dictionary<string, int> _slices = [];
    /// <summary>Silos membership declared dead, with the second of the run it happened.</summary>
    private readonly Dictionary<string, double> _lostSilos = [];
    /// <summary>Silos that missed a collection but are not (yet) declared dead: their last snapshot stands.</summary>
    private readonly HashSet<string> _unanswering = [];
    /// <summary>The second of the run of each silo's latest answer to a collection.</summary>
    private readonly Dictionary<string, int> _lastAnswer = [];
    /// <summary>Live silos that did not answer the final collection: their numbers since their last answer are missing.</summary>
    private readonly List<string> _missedFinal = [];
    /// <summary>
    /// The timeline's latest second: each collection is the next second's point (ticks that came late, after a
    /// collection waited on a silent silo, are collected at once to catch up, as during the run).
    /// </summary>
    private int _lastSecond;
    /// <summary>When the clients were told to stop sending (the planned end, or an abort): the end of the run's active time.</summary>
    private DateTime? _activeEndedAtUtc;
    /// <summary>When the latest collection began: the instant the merged numbers are as of.</summary>
    private DateTime _collectedAtUtc;
    private readonly Dictionary<string, int> _adopted = [];
    /// <summary>Silos that did not confirm their clients stopped: their final numbers may come from running clients.</summary>
    private readonly HashSet<string> _stopUnconfirmed = [];
    private int _lostClients;
    private int _reactivatedClients;
    private Task _reactivations = Task.CompletedTask;
    private readonly List<string> _notes = [];
    private DateTime _startedAtUtc;
    private DateTime _runStartsAtUtc;
    private int _started;
    private string? _abortReason;
    private RunResult? _result;
    private ServerProbeResult? _afterAttackProbe;
    private string? _message;
    private ClientTimeline[] _timelines = [];
    private readonly TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Start(RunPlan plan)
    {
        if (_plan is not null) throw new InvalidOperationException($"run {plan.RunId} was already started");
        _plan = plan;
        _startedAtUtc = time.GetUtcNow().UtcDateTime;
        _accumulator = new RunAccumulator(plan);
        DelayDeactivation(plan.Duration + TimeSpan.FromMinutes(30));
        _ = RunAsync(plan); // continues on this activation's scheduler; Start returns at once
        return Task.CompletedTask;
    }

    public Task<RunProgress> GetProgress()
    {
        var totals = _accumulator?.Current ?? default;
        var cases = CaseProgressSoFar();
        var elapsed = _phase == RunPhase.Arming ? 0 : Math.Max(0, (time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds);
        return Task.FromResult(new RunProgress
        {
            Phase = _phase,
            ElapsedSeconds = Math.Min(elapsed, _plan?.Duration.TotalSeconds ?? 0),
            Planned = _plan?.Clients ?? 0,
            Started = _started,
            Open = totals.Open,
            Connects = totals.Connects,
            ConnectFailures = totals.ConnectFailures,
            Disconnects = totals.Disconnects,
            Reconnects = totals.Reconnects,
            ForcedDrops = totals.ForcedDrops,
            MessagesSent = totals.MessagesSent,
            MessagesReceived = totals.MessagesReceived,
            MessagesPerSecond = _accumulator?.Timeline.LastOrDefault()?.MessagesReceived ?? 0,
            MessagesLost = totals.MessagesLost,
            RttP95Ms = _accumulator?.LastRttP95Ms ?? 0,
            Silos = _agents.Count - _lostSilos.Count,
            Message = _message,
            CoordinatorSilo = localSilo.SiloAddress.ToParsableString(),
            LostClients = _lostClients,
            ReactivatedClients = _reactivatedClients,
            ZombiesEvicted = totals.ZombiesEvicted,
            TokenRefreshes = totals.TokenRefreshes,
            Attacks = totals.Attacks,
            SiloSources = SiloSources(),
            Cases = cases,
            CasesPassed = cases.Count(c => c.Status == "pass"),
            CasesFailed = cases.Count(c => c.Status == "fail"),
            CasesPending = cases.Count(c => c.Status == "pending"),
        });
    }

    /// <summary>
    /// Case verdicts as they arrive (the report grades the same way, by the worst verdict): every planned case,
    /// pending until an attacker graded it. Runs passed are OK or NON-STRICT, failed the rest.
    /// </summary>
    private CaseProgress[] CaseProgressSoFar()
    {
        if (_plan is null || _accumulator is null) return [];
        var planned = _plan.Groups.Where(g => g.Malformed is not null).SelectMany(g => g.Malformed!.Cases).Distinct().ToList();
        if (planned.Count == 0) return [];
        var tallies = _accumulator.CasesSoFar.ToDictionary(t => t.Id);
        return [.. planned.Select(id =>
        {
            var tally = tallies.GetValueOrDefault(id);
            var passed = tally?.Verdicts.Where(v => Verdicts.Parse(v.Key) <= Verdict.NonStrict).Sum(v => v.Value) ?? 0;
            var failed = tally?.Verdicts.Where(v => Verdicts.Parse(v.Key) > Verdict.NonStrict).Sum(v => v.Value) ?? 0;
            var worst = tally?.Worst;
            return new CaseProgress
            {
                Id = id,
                Status = worst is null ? "pending" : Verdicts.Parse(worst) <= Verdict.NonStrict ? "pass" : "fail",
                Passed = passed,
                Failed = failed,
                Worst = worst,
            };
        })];
    }

    /// <summary>Each silo's slice of the run's source addresses and how many clients draw from it (lost silos included).</summary>
    private SiloSourceRange[] SiloSources()
    {
        if (_plan is null) return [];
        var pool = _plan.TargetUrls.Select(u => SourceAddressPool.For(new Uri(u), _plan.Network.SourceRanges)).FirstOrDefault(p => !p.IsEmpty);
        return [.. _slices.OrderBy(s => s.Value).Select(s =>
        {
            var slice = pool?.Slice(s.Value, _slices.Count);
            return new SiloSourceRange { Silo = s.Key, Range = slice?.Describe() ?? "", Addresses = slice?.Count ?? 0, Clients = _shares[s.Key].Length };
        })];
    }

    public Task Abort(string reason)
    {
        _abortReason ??= reason;
        _abort.TrySetResult();
        return Task.CompletedTask;
    }

    public Task<RunResult?> GetResult() => Task.FromResult(_result);

    public Task<RunResult?> GetInterimResult() => Task.FromResult(_result ?? (_plan is null || _phase == RunPhase.Arming ? null : BuildResult(_plan)));

    private async Task RunAsync(RunPlan plan)
    {
        try
        {
            await ArmAsync(plan);
            _runStartsAtUtc = time.GetUtcNow().UtcDateTime + StartLead;
            await Task.WhenAll(_agents.Values.Select(a => a.Agent.Start(_runStartsAtUtc)));
            _started = plan.Clients;
            _phase = RunPhase.Running;
            await CollectUntilEndAsync(plan);
            _activeEndedAtUtc = time.GetUtcNow().UtcDateTime;
            _phase = RunPhase.Stopping;
            _message = "stopping clients";
            await CollectWhileAsync(StopAllAsync());
            await CollectAsync(SecondOfRun(after: _lastSecond), final: true);
            _timelines = await CollectTimelinesAsync(plan);
            if (plan.Groups.Any(g => g.Malformed is not null)) await ProbeAfterAttackAsync(plan);
            await ReleaseSilosAsync(plan);
            _result = BuildResult(plan);
            _phase = RunPhase.Completed;
        }
        catch (Exception e)
        {
            logger.LogError(e, "run {RunId} failed", plan.RunId);
            _notes.Add($"run failed: {e.GetBaseException().Message}");
            _message = e.GetBaseException().Message;
            await ReleaseSilosAsync(plan);
            _result = BuildResult(plan) with { Aborted = true, AbortReason = _abortReason ?? $"the run failed: {e.GetBaseException().Message}" };
            _phase = RunPhase.Failed;
        }
    }

    /// <summary>Even spreading: client i goes to silo i mod n, so silo loads differ by at most one client.</summary>
    private async Task ArmAsync(RunPlan plan)
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.OrderBy(s => s.ToParsableString()).ToArray();
        if (silos.Length == 0) throw new InvalidOperationException("no active silo in the cluster");
        var shares = new List<int>[silos.Length];
        for (var s = 0; s < silos.Length; s++) shares[s] = [];
        for (var i = 0; i < plan.Clients; i++) shares[i % silos.Length].Add(i);

        _message = $"arming {plan.Clients} clients on {silos.Length} silo(s)";
        for (var s = 0; s < silos.Length; s++)
        {
            var key = SiloPinnedPlacement.KeyFor(plan.RunId, silos[s]);
            var name = silos[s].ToParsableString();
            _agents[name] = (GrainFactory.GetGrain<ISiloAgentGrain>(key), shares[s].Count);
            _siloAddresses[name] = silos[s];
            _shares[name] = [.. shares[s]];
            _slices[name] = s;
        }
        await Task.WhenAll(_agents.Values.Zip(shares).Select((x, s) => x.First.Agent.Arm(plan, [.. x.Second], s, silos.Length)));
        _message = null;
    }

    private async Task CollectUntilEndAsync(RunPlan plan)
    {
        var end = _runStartsAtUtc + plan.Duration;
        var second = 0;
        while (true)
        {
            var nextTick = _runStartsAtUtc + TimeSpan.FromSeconds(second + 1);
            var wait = (nextTick < end ? nextTick : end) - time.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(wait, time), _abort.Task);
            }
            if (_abort.Task.IsCompleted)
            {
                _notes.Add($"aborted after {(time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds:F1} s: {_abortReason}");
                return;
            }
            second = SecondOfRun(after: second);
            // The last second is collected beside the stop (CollectWhileAsync), so the stop is not held up.
            if (time.GetUtcNow().UtcDateTime >= end) return;
            await CollectAsync(second, final: false);
        }
    }

    /// <summary>
    /// Keeps collecting once a second while <paramref name="work"/> (the stop and its drain) runs, so the
    /// timeline goes on through the run's last second and the drain; the final collection follows it.
    /// </summary>
    private async Task CollectWhileAsync(Task work)
    {
        while (!work.IsCompleted)
        {
            var wait = _runStartsAtUtc + TimeSpan.FromSeconds(_lastSecond + 1) - time.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero) await Task.WhenAny(work, Task.Delay(wait, time));
            if (work.IsCompleted) break;
            await CollectAsync(SecondOfRun(after: _lastSecond), final: false);
        }
        await work;
    }

    /// <summary>
    /// The second of the run a collection round stands for: the clock's, not a count of rounds, so a round held
    /// up by a slow or dying silo does not shift every later point (and the second a silo was lost) back in time.
    /// </summary>
    private int SecondOfRun(int after) =>
        Math.Max(after + 1, (int)Math.Floor((time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds));

    private async Task CollectAsync(int second, bool final)
    {
        _collectedAtUtc = time.GetUtcNow().UtcDateTime;
        var live = _agents.Where(a => !_lostSilos.ContainsKey(a.Key)).ToList();
        var calls = live.Select(async a =>
        {
            try
            {
                var snapshot = await a.Value.Agent.Collect(_plan!.RunId).WaitAsync(CollectTimeout);
                _unanswering.Remove(a.Key);
                _lastAnswer[a.Key] = second;
                return snapshot;
            }
            catch (Exception e)
            {
                if (_unanswering.Add(a.Key))
                    logger.LogWarning("silo {Silo} did not answer at {Second} s: {Error}", a.Key, second, e.GetBaseException().Message);
                return null;
            }
        });
        var snapshots = (await Task.WhenAll(calls)).OfType<SiloSnapshot>().ToList();
        _accumulator!.Add(snapshots, second);
        _lastSecond = second;
        if (_unanswering.Count > 0) await HandleDeadSilosAsync(second);
        if (!final) return;
        foreach (var name in _unanswering.Order(StringComparer.Ordinal))
        {
            // Alive to membership, so its clients may have gone on counting: what they measured since its last answer is missing.
            _missedFinal.Add(name);
            var last = _lastAnswer.TryGetValue(name, out var at) ? $"its last answer was at {at} s" : "it never answered one";
            _notes.Add($"silo {name} did not answer the final collection ({last}); its clients' numbers since then are missing");
        }
    }

    /// <summary>
    /// A silo that stops answering is only lost once membership declares it dead (a slow silo must not have
    /// its clients run twice). Its metrics up to its last answer stay in the run; its clients are counted as
    /// lost and, unless the scenario says otherwise, re-activated on the survivors while the run goes on.
    /// </summary>
    private async Task HandleDeadSilosAsync(int second)
    {
        Dictionary<SiloAddress, SiloStatus> hosts;
        try { hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false); }
        catch (Exception e)
        {
            logger.LogWarning("membership could not be read: {Error}", e.GetBaseException().Message);
            return;
        }
        foreach (var name in _unanswering.ToList())
        {
            var status = hosts.TryGetValue(_siloAddresses[name], out var s) ? s : SiloStatus.Dead;
            if (status != SiloStatus.Dead) continue;
            _unanswering.Remove(name);
            _lostSilos[name] = second;
            _accumulator!.MarkLost(name);
            var lost = _shares[name];
            _lostClients += lost.Length;
            _notes.Add($"silo {name} was declared dead by membership at {second} s; its {lost.Length} clients were lost (their metrics up to its last answer are kept)");
            logger.LogWarning("silo {Silo} lost at {Second} s with {Clients} clients", name, second, lost.Length);
            // Not awaited: adopting may take a while and the per-second collection must go on meanwhile.
            if (_phase == RunPhase.Running && _plan!.ReactivateLostClients)
                _reactivations = Task.WhenAll(_reactivations, ReactivateAsync(name, lost));
        }
    }

    private async Task ReactivateAsync(string lostSilo, int[] clients)
    {
        var survivors = _agents.Where(a => !_lostSilos.ContainsKey(a.Key) && !_unanswering.Contains(a.Key)).Select(a => a.Key).ToArray();
        if (survivors.Length == 0)
        {
            _notes.Add($"no surviving silo could take over the {clients.Length} clients of {lostSilo}");
            return;
        }
        var moves = survivors.Select((name, s) => (Name: name, Clients: clients.Where((_, i) => i % survivors.Length == s).ToArray(), First: _shares[name].Length)).ToArray();
        // Taken now, before any await: a second loss handled meanwhile must place its clients after these.
        foreach (var m in moves) _shares[m.Name] = [.. _shares[m.Name], .. m.Clients];
        var started = await Task.WhenAll(moves.Select(async m =>
        {
            // Adopted clients source from the survivor's own slice, after its own clients' addresses.
            try { return await _agents[m.Name].Agent.Adopt(_plan!, m.Clients, _runStartsAtUtc, _slices[m.Name], _agents.Count, m.First); }
            catch (Exception e)
            {
                logger.LogWarning("silo {Silo} could not adopt clients: {Error}", m.Name, e.GetBaseException().Message);
                return 0;
            }
        }));
        for (var s = 0; s < moves.Length; s++) _adopted[moves[s].Name] = _adopted.GetValueOrDefault(moves[s].Name) + started[s];
        _reactivatedClients += started.Sum();
        var at = (time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds;
        _notes.Add($"{started.Sum()} of the {clients.Length} clients of {lostSilo} were re-activated on {survivors.Length} surviving silo(s) by {at:F0} s");
    }

    /// <summary>
    /// Every silo stops its clients at once (sending already stopped everywhere at the planned end). The final
    /// numbers are only taken from clients that confirmed their stop: a silo that cannot confirm within the
    /// stop grace and a margin for closing is named in a note and in <see cref="SiloResult.StopUnconfirmed"/>,
    /// because its clients may still have been running when their numbers were read.
    /// </summary>
    private async Task StopAllAsync()
    {
        await _reactivations; // an adoption still under way would otherwise start clients after the stop
        var bound = _plan!.StopGrace + StopCloseMargin;
        await Task.WhenAll(_agents.Where(a => !_lostSilos.ContainsKey(a.Key)).Select(async a =>
        {
            try { await a.Value.Agent.Stop(_plan!, _shares[a.Key]).WaitAsync(bound, time); }
            catch (Exception e)
            {
                _stopUnconfirmed.Add(a.Key);
                var why = e is TimeoutException ? $"within {bound.TotalSeconds:0} s" : $"({e.GetBaseException().Message})";
                _notes.Add($"silo {a.Key} did not confirm that its clients stopped {why}: its final numbers may include clients still running");
                logger.LogWarning("silo {Silo} did not confirm the stop: {Error}", a.Key, e.GetBaseException().Message);
            }
        }));
    }

    /// <summary>Every live silo lets go of the run's state once the final numbers are in (best effort, bounded).</summary>
    private Task ReleaseSilosAsync(RunPlan plan) => Task.WhenAll(_agents.Where(a => !_lostSilos.ContainsKey(a.Key)).Select(async a =>
    {
        try { await a.Value.Agent.Release(plan.RunId).WaitAsync(CollectTimeout, time); }
        catch (Exception e) { logger.LogWarning("silo {Silo} did not release run {RunId}: {Error}", a.Key, plan.RunId, e.GetBaseException().Message); }
    }));

    /// <summary>
    /// The event timelines of the sampled clients, asked of those clients directly once they have stopped (a
    /// few dozen calls at most; the silo agents stay out of it). A client that does not answer is left out.
    /// </summary>
    private async Task<ClientTimeline[]> CollectTimelinesAsync(RunPlan plan)
    {
        if (plan.TimelineClients.Length == 0) return [];
        _message = "collecting client timelines";
        var calls = plan.TimelineClients.Select(async index =>
        {
            try { return await GrainFactory.GetGrain<IClientGrain>(SiloAgentGrain.ClientKey(plan.RunId, index)).GetTimeline().WaitAsync(CollectTimeout); }
            catch (Exception e)
            {
                logger.LogWarning("no timeline from client {Client}: {Error}", index, e.GetBaseException().Message);
                return null;
            }
        });
        var timelines = (await Task.WhenAll(calls)).OfType<ClientTimeline>().ToArray();
        if (timelines.Length < plan.TimelineClients.Length)
            _notes.Add($"{plan.TimelineClients.Length - timelines.Length} of {plan.TimelineClients.Length} sampled clients returned no timeline");
        return timelines;
    }

    /// <summary>After a malformed attack: does the server still accept a new connection (and answer a PING)?</summary>
    private async Task ProbeAfterAttackAsync(RunPlan plan)
    {
        _message = "probing the target after the attack";
        var options = new ConnectOptions { Target = new Uri(plan.TargetUrls[0]), ConnectTimeout = TimeSpan.FromSeconds(5), Time = time };
        var probe = await Task.Run(() => ServerProbe.CheckAsync(options, TimeSpan.FromSeconds(5), CancellationToken.None));
        _afterAttackProbe = new ServerProbeResult { Accepted = probe.Accepted, Detail = probe.Detail, Milliseconds = Math.Round(probe.Elapsed.TotalMilliseconds, 1) };
        if (!probe.Accepted) _notes.Add($"after the malformed attack the target no longer accepts connections: {probe.Detail}");
    }

    /// <summary>
    /// Seconds from the start instant until the clients were told to stop; while the run goes, until the latest
    /// collection (the instant the merged counters are as of).
    /// </summary>
    private double ActiveSeconds()
    {
        if (_runStartsAtUtc == default || _collectedAtUtc == default) return 0;
        var until = _activeEndedAtUtc is { } end && end < _collectedAtUtc ? end : _collectedAtUtc;
        return Math.Max(0, (until - _runStartsAtUtc).TotalSeconds);
    }

    private RunResult BuildResult(RunPlan plan)
    {
        var sources = SiloSources().ToDictionary(r => r.Silo);
        return new()
        {
            RunId = plan.RunId,
            StartedAtUtc = _runStartsAtUtc == default ? _startedAtUtc : _runStartsAtUtc,
            EndedAtUtc = time.GetUtcNow().UtcDateTime,
            Planned = plan.Clients,
            Started = _started,
            Groups = _accumulator?.Results() ?? [],
            Timeline = [.. _accumulator?.Timeline ?? []],
            Silos = [.. _agents.Select(a => new SiloResult
            {
                Address = a.Key,
                Clients = a.Value.Clients,
                Lost = _lostSilos.ContainsKey(a.Key),
                LostAtSeconds = _lostSilos.TryGetValue(a.Key, out var at) ? at : null,
                Adopted = _adopted.GetValueOrDefault(a.Key),
                StopUnconfirmed = _stopUnconfirmed.Contains(a.Key),
                Coordinator = a.Key == localSilo.SiloAddress.ToParsableString(),
                SourceRange = sources.GetValueOrDefault(a.Key)?.Range,
                SourceAddresses = sources.GetValueOrDefault(a.Key)?.Addresses ?? 0,
                MissedFinalCollection = _missedFinal.Contains(a.Key),
            })],
            ActiveSeconds = ActiveSeconds(),
            Notes = [.. _notes],
            Aborted = _abortReason is not null,
            AbortReason = _abortReason,
            Malformed = _accumulator?.Malformed(_afterAttackProbe),
            Timelines = _timelines,
        };
    }
}
