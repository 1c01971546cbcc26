using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;
using SimCluster.Transport.Malformed;

namespace SimCluster.Cli.Reports;

/// <summary>
/// The malformed-input parts of report.json: <c>cases</c> (one entry per case, graded Autobahn-style across every
/// attacker that ran it) and <c>collateral</c> (what the attack did to the healthy clients and the server).
/// </summary>
public static class MalformedSection
{
    /// <summary>
    /// One entry per planned case, in catalogue order: id, title, expected, observed (from a run with the worst
    /// verdict), verdict (the worst; NOT-RUN when no run was graded), clients (attackers that graded it), plus the
    /// counts per verdict.
    /// </summary>
    public static JsonArray Cases(MalformedResult? malformed)
    {
        if (malformed is null) return [];
        var order = CaseCatalogue.All.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return new JsonArray([.. malformed.Cases.OrderBy(c => order.GetValueOrDefault(c.Id, int.MaxValue)).ThenBy(c => c.Id, StringComparer.Ordinal).Select(c =>
        {
            var graded = c.Worst is not null;
            var entry = new JsonObject
            {
                ["id"] = c.Id,
                ["title"] = c.Title,
                ["expected"] = c.Expected,
                ["observed"] = graded ? c.Observed
                    : c.Unreachable > 0 ? $"not run: every attempt failed to connect ({c.LastError})"
                    : c.ToolErrors > 0 ? $"not run: the tool could not complete it ({c.LastError})"
                    : "not run: no attacker ran this case before the run ended",
                // Not a grade of the server; malformed_cases_not_run counts these for thresholds.
                ["verdict"] = c.Worst ?? Verdicts.NotRun,
                ["clients"] = c.Clients,
                ["rfc"] = c.RfcSection,
                ["runs"] = c.Verdicts.Values.Sum(),
                ["verdicts"] = new JsonObject(Verdicts.All.Select(v => v.Name()).Where(c.Verdicts.ContainsKey)
                    .Select(v => KeyValuePair.Create(v, (JsonNode?)c.Verdicts[v]))),
                ["applicable"] = c.Applicable,
            };
            if (c.Unreachable > 0) entry["unreachable"] = c.Unreachable;
            if (c.ServerDownAfter > 0) entry["serverDownAfter"] = c.ServerDownAfter;
            if (c.ToolErrors > 0) entry["toolErrors"] = c.ToolErrors;
            if (c.LastError is not null && (c.Unreachable > 0 || c.ServerDownAfter > 0 || c.ToolErrors > 0)) entry["lastError"] = c.LastError;
            return (JsonNode)entry;
        })]);
    }

    /// <summary>
    /// Collateral damage: message RTT p99 of the canaries (and of every healthy group) before the first attack
    /// second vs from it on, their disconnects during the attack, whether the server still accepted a new
    /// connection after it, the target's memory before and after, and the cases after which it stopped accepting.
    /// </summary>
    public static JsonObject Collateral(MalformedResult malformed, IReadOnlyList<GroupResult> groups, JsonObject? statsBefore, JsonObject? statsAfter)
    {
        var attackers = groups.Where(g => g.Behavior == "malformed").ToList();
        var healthy = groups.Where(g => g.Behavior == "steady").Select(g => g.Name).ToList();
        var canaries = malformed.CanaryGroups.Length > 0 ? [.. malformed.CanaryGroups] : healthy;
        var json = new JsonObject
        {
            ["firstAttackSecond"] = malformed.FirstAttackSecond,
            ["attackers"] = attackers.Sum(g => g.Clients),
            ["caseRuns"] = attackers.Sum(g => g.Counters.GetValueOrDefault(MetricNames.MalformedCases)),
            ["canaries"] = Health(malformed, canaries, groups),
            ["healthy"] = Health(malformed, healthy, groups),
            ["serverAcceptsAfterAttack"] = malformed.AfterRun?.Accepted,
            ["probeAfterAttack"] = malformed.AfterRun?.Detail,
            ["serverDownAfter"] = new JsonObject(malformed.Cases.Where(c => c.ServerDownAfter > 0)
                .Select(c => KeyValuePair.Create(c.Id, (JsonNode?)c.ServerDownAfter))),
        };
        if (statsBefore is not null && statsAfter is not null)
        {
            json["targetMemory"] = new JsonObject
            {
                ["rssBeforeMb"] = Mb(TargetProbe.RssBytes(statsBefore)),
                ["rssAfterMb"] = Mb(TargetProbe.RssBytes(statsAfter)),
                ["heapBeforeMb"] = Mb(TargetProbe.HeapBytes(statsBefore)),
                ["heapAfterMb"] = Mb(TargetProbe.HeapBytes(statsAfter)),
            };
        }
        return json;
    }

    private static JsonObject Health(MalformedResult malformed, IReadOnlyList<string> names, IReadOnlyList<GroupResult> groups)
    {
        var before = HistogramCodec.Create();
        var during = HistogramCodec.Create();
        long disconnectsDuring = 0, falseDuring = 0, lostDuring = 0;
        foreach (var name in names)
        {
            if (!malformed.Groups.TryGetValue(name, out var phase)) continue;
            HistogramCodec.AddEncoded(before, phase.RttBefore);
            HistogramCodec.AddEncoded(during, phase.RttDuring);
            disconnectsDuring += phase.DisconnectsDuring;
            falseDuring += phase.FalseDisconnectsDuring;
            lostDuring += phase.MessagesLostDuring;
        }
        return new JsonObject
        {
            ["groups"] = new JsonArray([.. names.Select(n => (JsonNode)n)]),
            ["clients"] = groups.Where(g => names.Contains(g.Name)).Sum(g => g.Clients),
            ["rttP99BeforeMs"] = P99(before),
            ["rttP99DuringMs"] = P99(during),
            ["rttSamplesBefore"] = before.TotalCount,
            ["rttSamplesDuring"] = during.TotalCount,
            ["disconnectsDuring"] = disconnectsDuring,
            ["falseDisconnectsDuring"] = falseDuring,
            ["messagesLostDuring"] = lostDuring,
        };
    }

    private static double? P99(HdrHistogram.HistogramBase h) => h.TotalCount == 0 ? null : Math.Round(h.GetValueAtPercentile(99) / 1000.0, 3);

    private static double Mb(long bytes) => Math.Round(bytes / 1_048_576.0, 1);

    /// <summary>Adds the per-second attack count to a timeline point of a run that had attackers.</summary>
    internal static JsonObject WithAttacks(this JsonObject point, long? attacks)
    {
        if (attacks is { } a) point["attacks"] = a;
        return point;
    }
}
