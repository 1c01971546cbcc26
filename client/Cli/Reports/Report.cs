using SimCluster.Abstractions.Security;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Reports;

/// <summary>What a run produced, graded: the input of report.json and of the printed summary.</summary>
public sealed record Report
{
    public const string Schema = "simcluster.report/v1";

    public required Scenario Scenario { get; init; }
    public required string RunId { get; init; }
    public required long Seed { get; init; }
    public required IReadOnlyList<Uri> Targets { get; init; }
    public required RunResult Result { get; init; }
    public required MetricSet Overall { get; init; }
    public required IReadOnlyDictionary<string, MetricSet> Groups { get; init; }
    public required IReadOnlyList<ThresholdResult> Thresholds { get; init; }
    public JsonObject? TargetStatsBefore { get; init; }
    public JsonObject? TargetStatsAfter { get; init; }
    public bool Partial => PartialReason is not null;

    /// <summary>Why the numbers are partial (interrupted, silo lost, run failed); null for a complete run.</summary>
    public string? PartialReason { get; init; }

    /// <summary>The tool's own costs during the run (ToolSampler).</summary>
    public JsonObject? Tool { get; init; }

    /// <summary>The scenario file as run (path, text, overrides): report.json's <c>scenarioFile</c>, shown in report.html.</summary>
    public ScenarioSource? ScenarioSource { get; init; }

    public bool Passed => Thresholds.All(t => t.Passed) && !Partial;

    public string Verdict => Partial ? "partial" : Passed ? "pass" : "fail";

    public double DurationSeconds => (Result.EndedAtUtc - Result.StartedAtUtc).TotalSeconds;

    /// <summary>Builds the report: merges groups, adds what the target said about itself, grades thresholds.</summary>
    public static Report Create(Scenario scenario, long seed, IReadOnlyList<Uri> targets, RunResult result,
        JsonObject? statsBefore, JsonObject? statsAfter, string? interrupted)
    {
        var seconds = Math.Max(0.001, scenario.Duration.TotalSeconds);
        var gauges = new Dictionary<string, double>();
        if (statsBefore is not null && statsAfter is not null)
        {
            gauges[MetricNames.TargetRssGrowthMb] = (Runs.TargetProbe.RssBytes(statsAfter) - Runs.TargetProbe.RssBytes(statsBefore)) / 1_048_576.0;
            gauges[MetricNames.TargetHeapGrowthMb] = (Runs.TargetProbe.HeapBytes(statsAfter) - Runs.TargetProbe.HeapBytes(statsBefore)) / 1_048_576.0;
            gauges[MetricNames.TargetOpenAfterRun] = Runs.TargetProbe.OpenConnections(statsAfter);
        }
        var overall = new MetricSet(result.Groups, seconds, gauges);
        var groups = result.Groups.ToDictionary(g => g.Name, g => new MetricSet([g], seconds, gauges));
        var source = new Source(overall, groups);
        return new Report
        {
            Scenario = scenario,
            RunId = result.RunId,
            Seed = seed,
            Targets = targets,
            Result = result,
            Overall = overall,
            Groups = groups,
            Thresholds = ThresholdEvaluator.Evaluate(scenario.Thresholds, source),
            TargetStatsBefore = statsBefore,
            TargetStatsAfter = statsAfter,
            PartialReason = interrupted
                ?? (result.Aborted ? result.AbortReason ?? "the run was aborted" : null)
                ?? (result.Silos.Where(s => s.Lost).Select(s => s.Address).ToList() is { Count: > 0 } lost
                    ? $"silo(s) lost during the run: {string.Join(", ", lost)}; their clients' numbers are missing" : null),
        };
    }

    private sealed class Source(MetricSet overall, IReadOnlyDictionary<string, MetricSet> groups) : IMetricSource
    {
        public bool TryGet(string metric, string? group, Aggregation aggregation, double? percentile, out double value)
        {
            value = double.NaN;
            var set = group is null ? overall : groups.GetValueOrDefault(group);
            return set is not null && set.TryGet(metric, aggregation, percentile, out value);
        }
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["schema"] = Schema,
            ["scenario"] = Scenario.Name,
            ["runId"] = RunId,
            ["seed"] = Seed,
            ["target"] = Targets.Count == 1 ? Secrets.Redact(Targets[0]) : new JsonArray([.. Targets.Select(t => (JsonNode)Secrets.Redact(t))]),
            ["startedAt"] = Result.StartedAtUtc.ToString("O"),
            ["endedAt"] = Result.EndedAtUtc.ToString("O"),
            ["durationSeconds"] = Math.Round(DurationSeconds, 3),
            ["clients"] = new JsonObject { ["planned"] = Result.Planned, ["started"] = Result.Started },
            ["verdict"] = Verdict,
            ["partial"] = Partial,
            ["partialReason"] = PartialReason,
            ["metrics"] = Overall.ToJson(),
            ["closeCodes"] = Codes(Overall.CloseCodes, prefix: null),
            ["connectErrors"] = Codes(Overall.CloseCodes, CloseKeys.ConnectError),
            ["disconnectCauses"] = Codes(Overall.CloseCodes, CloseKeys.DisconnectCause),
            ["thresholds"] = new JsonArray([.. Thresholds.Select(t => (JsonNode)new JsonObject
            {
                ["metric"] = t.Group is null ? t.Metric : $"{t.Metric}{{group:{t.Group}}}",
                ["expression"] = t.Expression,
                ["actual"] = t.Actual is { } a ? Math.Round(a, 3) : null,
                ["passed"] = t.Passed,
                ["note"] = t.Note,
            })]),
            ["groups"] = new JsonObject(Result.Groups.Select(g => KeyValuePair.Create(g.Name, (JsonNode?)new JsonObject
            {
                ["behavior"] = g.Behavior,
                ["clients"] = g.Clients,
                ["metrics"] = Groups[g.Name].ToJson(),
                ["closeCodes"] = Codes(Groups[g.Name].CloseCodes, prefix: null),
                ["disconnectCauses"] = Codes(Groups[g.Name].CloseCodes, CloseKeys.DisconnectCause),
            }))),
            ["timeline"] = new JsonArray([.. Result.Timeline.Select(p => (JsonNode)new JsonObject
            {
                ["t"] = p.T,
                ["open"] = p.Open,
                ["connects"] = p.Connects,
                ["connectFailures"] = p.ConnectFailures,
                ["disconnects"] = p.Disconnects,
                ["forcedDrops"] = p.ForcedDrops,
                ["messagesSent"] = p.MessagesSent,
                ["messagesReceived"] = p.MessagesReceived,
                ["messagesLost"] = p.MessagesLost,
                ["rttP95"] = p.RttP95Ms,
            }.WithAttacks(Result.Malformed is null ? null : p.Attacks))]),
            ["cases"] = MalformedSection.Cases(Result.Malformed),
            ["silos"] = new JsonArray([.. Result.Silos.Select(s => (JsonNode)new JsonObject { ["address"] = s.Address, ["clients"] = s.Clients, ["lost"] = s.Lost })]),
            ["notes"] = new JsonArray([.. Result.Notes.Select(n => (JsonNode)n)]),
        };
        if (Result.Malformed is { } malformed) json["collateral"] = MalformedSection.Collateral(malformed, Result.Groups, TargetStatsBefore, TargetStatsAfter);
        if (Tool is not null) json["tool"] = Tool.DeepClone();
        if (ScenarioSource is not null) json["scenarioFile"] = ScenarioSource.ToJson();
        if (TargetStatsBefore is not null || TargetStatsAfter is not null)
        {
            json["targetStats"] = new JsonObject
            {
                ["before"] = TargetStatsBefore?.DeepClone(),
                ["after"] = TargetStatsAfter?.DeepClone(),
            };
        }
        return json;
    }

    /// <summary>The tally's keys with <paramref name="prefix"/> (prefix removed), or the bare close codes when null.</summary>
    private static JsonObject Codes(IReadOnlyDictionary<string, long> codes, string? prefix)
    {
        var selected = codes.Where(c => prefix is null
                ? !c.Key.StartsWith(CloseKeys.ConnectError, StringComparison.Ordinal) && !c.Key.StartsWith(CloseKeys.DisconnectCause, StringComparison.Ordinal)
                : c.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => KeyValuePair.Create(prefix is null ? c.Key : c.Key[prefix.Length..], (JsonNode?)c.Value));
        return new JsonObject(selected);
    }

    public async Task WriteAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "report.json");
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true); // a reader never sees half a report
    }
}
