using System.Text.Json.Nodes;
using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using Spectre.Console;

namespace SimCluster.Cli.Output;

/// <summary>The end-of-run summary: thresholds first (the verdict), then the headline metrics.</summary>
public static class SummaryPrinter
{
    /// <summary>
    /// The metric table's rows: the connection and message rows of every run, then the rows of each behaviour and
    /// protocol the scenario uses, in this order. A row without data (a trend with no samples, a ratio with nothing
    /// to divide, a gauge the target did not report) is left out; a counter at 0 is data and stays.
    /// </summary>
    private static readonly (Func<ScenarioFeatures, bool> Uses, string[] Metrics)[] Rows =
    [
        (_ => true, [MetricNames.Connects, MetricNames.ConnectFailures, MetricNames.ConnectSuccessRatio, MetricNames.ConnectTime,
                     MetricNames.Disconnects, MetricNames.FalseDisconnects, MetricNames.Reconnects, MetricNames.ReconnectTime]),
        (f => f.Drops, [MetricNames.ForcedDrops, MetricNames.RecoveryTime, MetricNames.ReconnectSuccessRatio, MetricNames.DeadConnectionHoldTime]),
        (f => f.Messages, [MetricNames.MessagesSent, MetricNames.MessagesReceived, MetricNames.MessageRtt, MetricNames.MessagesLost,
                           MetricNames.MessagesInterrupted, MetricNames.MessagesDuplicated, MetricNames.MessagesReordered, MetricNames.SendLag]),
        (f => f.Session, [MetricNames.MessagesReplayed, MetricNames.SessionsForgotten, MetricNames.SessionProtocolErrors]),
        (f => f.Heartbeat, [MetricNames.HeartbeatRtt, MetricNames.HeartbeatTimeouts]),
        (f => f.Zombies, [MetricNames.Zombies, MetricNames.ZombiesDetected, MetricNames.ZombieDetectionRatio, MetricNames.ZombieDetectTime,
                          MetricNames.ZombiesUndetected]),
        (f => f.Switching, [MetricNames.Switches, MetricNames.SwitchResumeTime]),
        (f => f.Tokens, [MetricNames.TokenRefreshes, MetricNames.TokenRefreshFailures, MetricNames.TokenRefreshTime, MetricNames.AuthRejections,
                         MetricNames.ExpiredCloses, MetricNames.TokensOutlived]),
        (f => f.Malformed, [MetricNames.MalformedCases, MetricNames.MalformedCasesFailed, MetricNames.MalformedServerDown]),
        (_ => true, [MetricNames.TargetRssGrowthMb, MetricNames.TargetHeapGrowthMb, MetricNames.TargetOpenAfterRun]),
    ];

    /// <summary>The summary's metric rows for a report: (name, value text), in <see cref="Rows"/> order, rows without data left out.</summary>
    public static IReadOnlyList<(string Metric, string Value)> MetricRows(Report report)
    {
        var features = ScenarioFeatures.Of(report.Scenario);
        var metrics = report.Overall.ToJson();
        var rows = new List<(string, string)>();
        foreach (var name in Rows.Where(r => r.Uses(features)).SelectMany(r => r.Metrics))
        {
            if (metrics[name] is not JsonObject m) continue;
            var text = (string?)m["type"] switch
            {
                "trend" => (long)m["count"]! == 0 ? null : $"avg={m["avg"]} med={m["med"]} p95={m["p95"]} p99={m["p99"]} max={m["max"]} ms (n={m["count"]})",
                _ => m["value"]?.ToString(),
            };
            if (text is not null) rows.Add((name, text));
        }
        return rows;
    }

    /// <summary>
    /// "tokens: 3012 refreshed in band (avg 4 ms, p95 10 ms), 0 failed, 0 rejected; 0 expiry closes (4001), 0 early;
    /// 0 connections outlived their token". Only for scenarios with auth.
    /// </summary>
    public static IEnumerable<string> TokenLines(Report report)
    {
        if (report.Scenario.Auth is not { } auth) yield break;
        var m = report.Overall;
        var times = m.Trend(MetricNames.TokenRefreshTime);
        var timing = times.TotalCount > 0 ? $" (avg {times.GetMean() / 1000.0:0.#} ms, p95 {times.GetValueAtPercentile(95) / 1000.0:0.#} ms)" : "";
        var mode = auth.Refresh.Mode switch { RefreshMode.Reconnect => "by reconnect", RefreshMode.None => "(refresh off)", _ => "in band" };
        yield return $"tokens: {m.Counter(MetricNames.TokenRefreshes)} refreshed {mode}{timing}, {m.Counter(MetricNames.TokenRefreshFailures)} failed, " +
                     $"{m.Counter(MetricNames.AuthRejections)} rejected; {m.Counter(MetricNames.ExpiredCloses)} expiry closes (4001), {m.Counter(MetricNames.ExpiredClosesEarly)} before exp";
        var overstay = m.Trend(MetricNames.TokenOverstay);
        if (overstay.TotalCount > 0)
            yield return $"tokens: {overstay.TotalCount} connections outlived their token: by {overstay.GetMean() / 1_000_000.0:0.0##} s on average, {overstay.GetMaxValue() / 1_000_000.0:0.0##} s at most";
        if (m.Counter(MetricNames.TokenReplaysAccepted) > 0)
            yield return $"tokens: the server accepted {m.Counter(MetricNames.TokenReplaysAccepted)} replays of an old token after a refresh";
    }

    /// <summary>"42 of 50 silent-app zombies evicted, p95 2.9 s, bound 3 s: 8 never evicted".</summary>
    public static IEnumerable<string> ZombieLines(Report report)
    {
        foreach (var group in report.Scenario.Population.Where(g => g.Zombie is not null))
        {
            var metrics = report.Groups[group.Name];
            var zombies = metrics.Counter(MetricNames.Zombies);
            var detected = metrics.Counter(MetricNames.ZombiesDetected);
            var never = metrics.Counter(MetricNames.ZombiesUndetected);
            var times = metrics.Trend(MetricNames.ZombieDetectTime);
            var p95 = times.TotalCount > 0 ? $", p95 {times.GetValueAtPercentile(95) / 1_000_000.0:0.00} s" : "";
            var bound = group.Zombie!.ExpectDetectWithin is { } b
                ? $", bound {b.TotalSeconds:0.###} s ({metrics.Counter(MetricNames.ZombiesWithinBound)} within it)"
                : "";
            var pending = zombies - detected - never;
            yield return $"{group.Name}: {detected} of {zombies} {group.Zombie.Kind} zombies evicted{p95}{bound}: {never} never evicted" +
                         (pending > 0 ? $", {pending} still being observed when the run ended" : "");
        }
    }

    /// <summary>Per lost silo, the window its numbers are missing for and what it may hold; then what the target saw unreported.</summary>
    internal static IEnumerable<string> HoleLines(Report report)
    {
        foreach (var s in report.Result.Silos.Where(s => s.Lost))
        {
            var window = (s.LostAtSeconds ?? 0) - (s.LastCollectedAtSeconds ?? 0);
            var atMost = string.Join(", ", s.HoleAtMost.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
            yield return $"silo {s.Address}: numbers missing from {s.LastCollectedAtSeconds ?? 0:0.##} s to its death at {s.LostAtSeconds:0.##} s ({window:0.##} s, {s.LostClients} clients); at most {atMost}";
        }
        if (report.Result.Silos.Any(s => s.Lost) && report.TargetUpgradesNotReported() is { } unreported)
            yield return $"the target saw {unreported} upgrade(s) that no client reported";
    }

    /// <summary>Per take-over of the run after its coordinator's silo was lost or handed it over: when, where to, and what became of its clients.</summary>
    internal static IEnumerable<string> FailoverLines(Report report) => report.Result.Failovers.Select(f => f.Cause == FailoverCause.Handover
        ? $"the coordinator's silo {f.LostSilo} was asked to stop and handed the run over at {f.HandedOverAtSecond:0.##} s (found gone at {f.DetectedAtSecond:0.##} s); " +
          $"silo {f.NewSilo} took the run over at {f.ResumedAtSecond:0.##} s from {f.SilosRead} surviving silo(s); {f.ClientsMigrated} of its clients migrated, none lost"
        : $"the coordinator's silo {f.LostSilo} was lost (last answer at {f.LastAnsweredAtSecond:0.##} s, found gone at {f.DetectedAtSecond:0.##} s); " +
          $"silo {f.NewSilo} took the run over at {f.ResumedAtSecond:0.##} s from {f.SilosRead} surviving silo(s); {f.ClientsReactivated} of its {f.ClientsLost} clients re-activated");

    /// <summary>Per silo asked to stop mid-run: it left no hole (its final numbers are in), and where its clients went.</summary>
    internal static IEnumerable<string> DrainLines(Report report)
    {
        foreach (var s in report.Result.Silos.Where(s => s.DrainedAtSeconds is not null))
            yield return $"silo {s.Address}: stopped mid-run and delivered its final numbers at {s.DrainedAtSeconds:0.##} s; {s.MigratedClients} of its {s.DrainedClients} clients migrated to the other silos";
    }

    public static void Print(IAnsiConsole console, Report report, string reportDirectory)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("metric").AddColumn("value");
        foreach (var (name, text) in MetricRows(report)) table.AddRow(name, Markup.Escape(text));
        console.Write(table);

        if (report.Overall.CloseCodes.Count > 0)
            console.MarkupLine("close codes: " + Markup.Escape(string.Join(", ", report.Overall.CloseCodes.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))));
        if (report.Overall.Causes.Count > 0)
            console.MarkupLine("disconnect causes: " + Markup.Escape(string.Join(", ", report.Overall.Causes.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"))));
        foreach (var line in ZombieLines(report)) console.MarkupLine(Markup.Escape(line));
        foreach (var line in TokenLines(report)) console.MarkupLine(Markup.Escape(line));
        foreach (var note in report.Result.Notes) console.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        foreach (var line in HoleLines(report)) console.MarkupLine($"[yellow]hole:[/] {Markup.Escape(line)}");
        foreach (var line in DrainLines(report)) console.MarkupLine($"drained: {Markup.Escape(line)}");
        foreach (var line in FailoverLines(report)) console.MarkupLine($"[yellow]failover:[/] {Markup.Escape(line)}");

        var toolLimit = report.ToolLimit;
        foreach (var reason in toolLimit.Reasons)
            console.MarkupLine($"[yellow]tool-limited:[/] {Markup.Escape(reason)}");
        foreach (var t in report.Thresholds)
        {
            var name = t.Group is null ? t.Metric : $"{t.Metric}{{group:{t.Group}}}";
            var actual = t.Actual is { } a ? a.ToString("0.###") : t.Note ?? "n/a";
            var limited = toolLimit.Limited && ToolLimit.Affects(t.Metric) ? " [yellow](tool-limited)[/]" : "";
            console.MarkupLine($"{(t.Passed ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(name)} {Markup.Escape(t.Expression)} (actual {Markup.Escape(actual)}){limited}");
        }
        if (report.ToolLimitedFailure)
            console.MarkupLine("[yellow]only timings failed, while the tool itself was the bottleneck: the server is not blamed; rerun with more CPU for the tool or fewer clients per silo[/]");
        if (report.NoConnectionOpened)
            console.MarkupLine($"[red]no connection ever opened[/] ({report.Result.Planned} clients planned): nothing was measured, the run fails");
        if (report.AbortedByThreshold is { } abortedBy)
            console.MarkupLine($"[red]stopped early by threshold {Markup.Escape(abortedBy)}[/] (abortOnFail)");
        var verdict = report.Verdict switch { "pass" => "[green]PASS[/]", "partial" => "[yellow]PARTIAL[/]", "tool-limited" => "[yellow]TOOL-LIMITED[/]", _ => "[red]FAIL[/]" };
        console.MarkupLine($"verdict: {verdict}   report: {Markup.Escape(Path.Combine(reportDirectory, "report.json"))}");
    }
}
