using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Attacks;

/// <summary>
/// One attacker client: runs its group's malformed cases round-robin (each attacker starting at its own offset,
/// spread evenly over the catalogue, so every case runs early even with few attackers), one connection per case variant, each bounded by the case's deadline, until the
/// run stops it. After a case that ended in a drop or silence it checks that the server still accepts a new
/// connection; when it does not, the case is named as the suspect. Runs on the thread pool, never in a grain
/// turn; it records into thread-safe silo singletons only.
/// </summary>
public sealed class AttackerRunner : Behaviors.IClientRun
{
    /// <summary>Pause between two cases of one attacker: an attack, not a busy loop that starves the machine.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbeWithin = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(5);

    private readonly string _runId;
    private readonly MalformedCase[] _cases;
    private readonly int _first;
    private readonly int _client;
    private readonly CaseContext _context;
    private readonly GroupRecorder _metrics;
    private readonly SiloCaseResults _results;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <param name="attacker">Index of this attacker within its group (decides the first case).</param>
    /// <param name="attackers">Attackers in the group: their first cases are spread evenly over the catalogue.</param>
    /// <param name="client">The client's index in the run (counted once per case in the report's <c>clients</c>).</param>
    public AttackerRunner(string runId, MalformedPlan plan, int attacker, int attackers, int client, ConnectOptions options,
        GroupRecorder metrics, SiloCaseResults results, TimeProvider time)
    {
        _runId = runId;
        _cases = [.. plan.Cases.Select(CaseCatalogue.Get)];
        if (_cases.Length == 0) throw new ArgumentException("a malformed group needs at least one case", nameof(plan));
        _first = attackers <= 0 ? attacker : (int)((long)attacker * _cases.Length / attackers);
        _client = client;
        _context = new CaseContext { Connect = options, DeadlineScale = plan.DeadlineScale };
        _metrics = metrics;
        _results = results;
        _time = time;
    }

    public void Start(TimeSpan delay) => _loop ??= Task.Run(() => LoopAsync(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, _stop.Token));

    /// <summary>Abandons the case in flight (its connection is reset) and waits, bounded, for the loop to end.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        if (_loop is null) return;
        try { await _loop.WaitAsync(StopBound).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }

    private async Task LoopAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            var backoff = TimeSpan.FromSeconds(1);
            for (var i = _first; !ct.IsCancellationRequested; i++)
            {
                var @case = _cases[i % _cases.Length];
                var unreachable = await RunOneAsync(@case, ct).ConfigureAwait(false);
                // A server that refuses connections is not hammered: back off while it stays down.
                await Task.Delay(unreachable ? backoff : Gap, _time, ct).ConfigureAwait(false);
                backoff = unreachable ? TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)) : TimeSpan.FromSeconds(1);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>Runs and records one case; true when it could not even connect.</summary>
    private async Task<bool> RunOneAsync(MalformedCase @case, CancellationToken ct)
    {
        _metrics.Count(MetricNames.MalformedCases);
        CaseRun run;
        try
        {
            run = await CaseRunner.RunAsync(@case, _context, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _results.ToolError(_runId, @case, $"{e.GetType().Name}: {e.Message}");
            return false;
        }
        if (run.ToolError is { } error) _results.ToolError(_runId, @case, error);
        if (run.Observations.Count > 0)
        {
            var grade = CaseGrader.Grade(@case, run.Observations);
            _results.Record(_runId, _client, @case, grade);
            if (grade.Verdict > Verdict.NonStrict) _metrics.Count(MetricNames.MalformedCasesFailed);
        }
        if (run.ConnectError is { } connectError)
        {
            _results.Unreachable(_runId, @case, $"{connectError.Label}: {connectError.Message}");
            return true;
        }
        if (run.Observations.Any(o => o.Reaction is Reaction.Dropped or Reaction.Silent))
        {
            // Dropped or silent: did the case take the server down with it?
            var probe = await ServerProbe.CheckAsync(_context.Connect, ProbeWithin, ct).ConfigureAwait(false);
            if (!probe.Accepted)
            {
                _results.ServerDown(_runId, @case, probe.Detail);
                _metrics.Count(MetricNames.MalformedServerDown);
            }
        }
        return false;
    }
}
