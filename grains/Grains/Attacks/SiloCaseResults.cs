using System.Collections.Concurrent;
using SimCluster.Abstractions.Runs;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Attacks;

/// <summary>
/// This silo's malformed-case results, per run and case: attackers record here directly (any thread), the
/// run's agent grain reads cumulative tallies for the coordinator. A singleton, like SiloMetrics.
/// </summary>
public sealed class SiloCaseResults
{
    private readonly ConcurrentDictionary<(string Run, string Case), Entry> _entries = new();

    public void Record(string runId, int client, MalformedCase @case, CaseGrade grade)
    {
        var entry = For(runId, @case);
        lock (entry)
        {
            entry.Verdicts[grade.Verdict] = entry.Verdicts.GetValueOrDefault(grade.Verdict) + 1;
            if (entry.Worst is null || grade.Verdict > entry.Worst)
            {
                entry.Worst = grade.Verdict;
                entry.Observed = grade.Observed;
            }
            entry.Clients.Add(client);
            entry.Applicable |= grade.Applicable;
        }
    }

    public void Unreachable(string runId, MalformedCase @case, string error)
    {
        var entry = For(runId, @case);
        lock (entry)
        {
            entry.Unreachable++;
            entry.LastError = error;
        }
    }

    public void ServerDown(string runId, MalformedCase @case, string detail)
    {
        var entry = For(runId, @case);
        lock (entry)
        {
            entry.ServerDownAfter++;
            entry.LastError = "server stopped accepting after this case: " + detail;
        }
    }

    public void ToolError(string runId, MalformedCase @case, string error)
    {
        var entry = For(runId, @case);
        lock (entry)
        {
            entry.ToolErrors++;
            entry.LastError = error;
        }
    }

    /// <summary>Cumulative tallies of one run on this silo.</summary>
    public CaseTally[] Snapshot(string runId) => [.. _entries.Where(e => e.Key.Run == runId).OrderBy(e => e.Key.Case, StringComparer.Ordinal).Select(e =>
    {
        var entry = e.Value;
        lock (entry)
        {
            return new CaseTally
            {
                Id = entry.Case.Id,
                Title = entry.Case.Title,
                Expected = entry.Case.Expected.Describe(),
                RfcSection = entry.Case.RfcSection,
                Verdicts = entry.Verdicts.ToDictionary(v => v.Key.Name(), v => v.Value),
                Worst = entry.Worst?.Name(),
                Observed = entry.Observed,
                Clients = entry.Clients.Count,
                Unreachable = entry.Unreachable,
                ServerDownAfter = entry.ServerDownAfter,
                ToolErrors = entry.ToolErrors,
                LastError = entry.LastError,
                Applicable = entry.Worst is null || entry.Applicable,
            };
        }
    })];

    /// <summary>The runs that have case results on this silo now.</summary>
    public IReadOnlyCollection<string> Runs => [.. _entries.Keys.Select(k => k.Run).Distinct()];

    /// <summary>Drops the run's case results: its agent calls this once the run's final collection was taken.</summary>
    public void Forget(string runId)
    {
        foreach (var key in _entries.Keys.Where(k => k.Run == runId).ToList()) _entries.TryRemove(key, out _);
    }

    private Entry For(string runId, MalformedCase @case) => _entries.GetOrAdd((runId, @case.Id), _ => new Entry(@case));

    private sealed class Entry(MalformedCase @case)
    {
        public MalformedCase Case { get; } = @case;
        public Dictionary<Verdict, long> Verdicts { get; } = [];
        public Verdict? Worst { get; set; }
        public string Observed { get; set; } = "";
        public HashSet<int> Clients { get; } = [];
        public long Unreachable { get; set; }
        public long ServerDownAfter { get; set; }
        public long ToolErrors { get; set; }
        public string? LastError { get; set; }
        public bool Applicable { get; set; }
    }

    /// <summary>Merges tallies of the same case from several silos (or groups): counts add up, the worst verdict wins.</summary>
    public static CaseTally[] Merge(IEnumerable<CaseTally> tallies) => [.. tallies.GroupBy(t => t.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
    {
        var worst = g.Where(t => t.Worst is not null).OrderByDescending(t => Verdicts.Parse(t.Worst!)).FirstOrDefault();
        return g.First() with
        {
            Verdicts = g.SelectMany(t => t.Verdicts).GroupBy(v => v.Key).ToDictionary(v => v.Key, v => v.Sum(x => x.Value)),
            Worst = worst?.Worst,
            Observed = worst?.Observed ?? "",
            Clients = g.Sum(t => t.Clients),
            Unreachable = g.Sum(t => t.Unreachable),
            ServerDownAfter = g.Sum(t => t.ServerDownAfter),
            ToolErrors = g.Sum(t => t.ToolErrors),
            LastError = g.Select(t => t.LastError).LastOrDefault(e => e is not null),
            Applicable = g.Any(t => t.Applicable),
        };
    })];
}
