using SimCluster.Abstractions.Security;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
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

    /// <summary>The abortOnFail threshold that stopped the run early, if one did: the run failed.</summary>
    public string? AbortedByThreshold { get; init; }

    /// <summary>The tool's own costs during the run (ToolSampler).</summary>
    public JsonObject? Tool { get; init; }

    /// <summary>The scenario file as run (path, text, overrides): report.json's <c>scenarioFile</c>, shown in report.html.</summary>
    public ScenarioSource? ScenarioSource { get; init; }

    public bool Passed => Thresholds.All(t => t.Passed) && !Partial && AbortedByThreshold is null && !NoConnectionOpened;

    /// <summary>
    /// Clients were planned but not one connection ever opened (and no attacker graded a case): nothing about
    /// the server was measured, so the run fails whatever its thresholds say (with none, it would pass on nothing).
    /// </summary>
    public bool NoConnectionOpened => Result.Planned > 0 && Overall.Counter(MetricNames.Connects) == 0 && Overall.Counter(MetricNames.MalformedCases) == 0;

    public string Verdict => Partial ? "partial" : Passed ? "pass" : ToolLimitedFailure ? "tool-limited" : "fail";

    /// <summary>Whether the tool itself was the bottleneck (<see cref="Reports.ToolLimit"/>): judged from send_lag and the tool's CPU.</summary>
    public ToolLimit ToolLimit => Reports.ToolLimit.Judge(Overall, Tool);

    /// <summary>
    /// The run failed only on timings while the tool was the bottleneck: the server is not blamed, the run could
    /// not measure it (exit 105). A failure of anything else (a count, a ratio) or no connection at all still fails.
    /// </summary>
    public bool ToolLimitedFailure => !Partial && !Passed && ToolLimit.Limited && !NoConnectionOpened && AbortedByThreshold is null
        && Thresholds.Where(t => !t.Passed).All(t => Reports.ToolLimit.Affects(t.Metric));

    public double DurationSeconds => (Result.EndedAtUtc - Result.StartedAtUtc).TotalSeconds;

    /// <summary>Builds the report: merges groups, adds what the target said about itself, grades thresholds.</summary>
    public static Report Create(Scenario scenario, long seed, IReadOnlyList<Uri> targets, RunResult result,
        JsonObject? statsBefore, JsonObject? statsAfter, string? interrupted)
    {
        var seconds = result.ActiveSeconds;
        var gauges = new Dictionary<string, double>();
        if (statsBefore is not null && statsAfter is not null)
        {
            gauges[MetricNames.TargetRssGrowthMb] = (Runs.TargetProbe.RssBytes(statsAfter) - Runs.TargetProbe.RssBytes(statsBefore)) / 1_048_576.0;
            gauges[MetricNames.TargetHeapGrowthMb] = (Runs.TargetProbe.HeapBytes(statsAfter) - Runs.TargetProbe.HeapBytes(statsBefore)) / 1_048_576.0;
            gauges[MetricNames.TargetOpenAfterRun] = Runs.TargetProbe.OpenConnections(statsAfter);
        }
        var overall = new MetricSet(result.Groups, seconds, gauges);
        var groups = result.Groups.ToDictionary(g => g.Name, g => new MetricSet([g], seconds, gauges));
        var source = new Source(overall, groups, result.Planned, result.Groups.ToDictionary(g => g.Name, g => g.Clients));
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
                ?? SiloReason(result),
        };
    }

    /// <summary>Silos whose numbers are incomplete: lost during the run, silent at the final collection, or not confirming their stop.</summary>
    private static string? SiloReason(RunResult result)
    {
        var reasons = new List<string>();
        if (result.Silos.Where(s => s.Lost).Select(s => s.Address).ToList() is { Count: > 0 } lost)
            reasons.Add($"silo(s) lost during the run: {string.Join(", ", lost)}; their clients' numbers are missing");
        if (result.Silos.Where(s => s.MissedFinalCollection && !s.Lost).Select(s => s.Address).ToList() is { Count: > 0 } silent)
            reasons.Add($"silo(s) did not answer the final collection: {string.Join(", ", silent)}; their clients' last numbers are missing");
        if (result.Silos.Where(s => s.StopUnconfirmed && !s.Lost).Select(s => s.Address).ToList() is { Count: > 0 } running)
            reasons.Add($"silo(s) did not confirm that their clients stopped: {string.Join(", ", running)}; their numbers may have been read from clients still running");
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    private sealed class Source(MetricSet overall, IReadOnlyDictionary<string, MetricSet> groups, int planned, IReadOnlyDictionary<string, int> groupClients) : IMetricSource
    {
        public bool TryGetPlannedClients(string? group, out double clients)
        {
            clients = group is null ? planned : groupClients.TryGetValue(group, out var n) ? n : double.NaN;
            return !double.IsNaN(clients);
        }

        public bool TryGet(string metric, string? group, Aggregation aggregation, double? percentile, out double value)
        {
            value = double.NaN;
            var set = group is null ? overall : groups.GetValueOrDefault(group);
            return set is not null && set.TryGet(metric, aggregation, percentile, out value);
        }
    }

    /// <summary>The planned shape: its corners, the arrival rate and the peak (report.json <c>loadShape</c>).</summary>
    private JsonObject LoadShapeJson(Abstractions.Plans.LoadShape shape) => new()
    {
        ["rampUpSeconds"] = Scenario.Stages.Count == 0 ? Scenario.RampUp.TotalSeconds : 0,
        ["stages"] = new JsonArray([.. Scenario.Stages.Select(st => (JsonNode)new JsonObject { ["durationSeconds"] = st.Duration.TotalSeconds, ["clients"] = st.Clients })]),
        ["connectRate"] = Scenario.ConnectRate,
        ["peakClients"] = shape.Peak,
        // The planned line's corners (seconds from the start, planned clients); it holds after the last one.
        ["corners"] = new JsonArray([.. shape.Corners.Select(c => (JsonNode)new JsonArray(Math.Round(c.AtSeconds, 3), c.Clients))]),
    };

    public JsonObject ToJson()
    {
        var shape = Scenario.Shape();
        var toolLimit = ToolLimit;
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
            // Counter rates divide by this: start instant until the clients were told to stop.
            ["activeSeconds"] = Math.Round(Result.ActiveSeconds, 3),
            ["clients"] = new JsonObject
            {
                ["planned"] = Result.Planned,
                ["started"] = Result.Started,
                // Clients whose silo was lost mid-run, and how many of those were re-activated on survivors. A lost
                // silo's clients are the ones it ran when it died (its adopted ones too), so a client lost twice is
                // counted twice, as it is re-activated twice.
                ["lost"] = Result.Silos.Where(s => s.Lost).Sum(s => s.LostClients),
                ["reactivated"] = Result.Silos.Sum(s => s.Adopted),
                // Clients of silos asked to stop mid-run (SIGTERM, a pod deletion) that were started again on the others.
                ["migrated"] = Result.Silos.Sum(s => s.MigratedClients),
            },
            ["verdict"] = Verdict,
            ["partial"] = Partial,
            ["abortedByThreshold"] = AbortedByThreshold,
            ["noConnectionOpened"] = NoConnectionOpened,
            ["partialReason"] = PartialReason,
            ["metrics"] = Overall.ToJson(),
            ["distributions"] = Overall.Distributions(),
            ["closeCodes"] = Codes(Overall.CloseCodes, connectErrors: false),
            ["connectErrors"] = Codes(Overall.CloseCodes, connectErrors: true),
            ["disconnectCauses"] = Causes(Overall.Causes),
            ["thresholds"] = new JsonArray([.. Thresholds.Select(t => (JsonNode)new JsonObject
            {
                ["metric"] = t.Group is null ? t.Metric : $"{t.Metric}{{group:{t.Group}}}",
                ["expression"] = t.Expression,
                ["actual"] = t.Actual is { } a ? Math.Round(a, 3) : null,
                ["passed"] = t.Passed,
                ["note"] = t.Note,
                // A timing graded while the tool was the bottleneck: its number includes the tool's own delay.
                ["toolLimited"] = toolLimit.Limited && Reports.ToolLimit.Affects(t.Metric),
            })]),
            ["toolLimited"] = toolLimit.ToJson(),
            ["groups"] = new JsonObject(Result.Groups.Select(g => KeyValuePair.Create(g.Name, (JsonNode?)new JsonObject
            {
                ["behavior"] = g.Behavior,
                ["clients"] = g.Clients,
                ["metrics"] = Groups[g.Name].ToJson(),
                ["distributions"] = Groups[g.Name].Distributions(),
                ["closeCodes"] = Codes(Groups[g.Name].CloseCodes, connectErrors: false),
                ["disconnectCauses"] = Causes(Groups[g.Name].Causes),
            }))),
            ["timeline"] = new JsonArray([.. Result.Timeline.Select(p => (JsonNode)new JsonObject
            {
                ["t"] = p.T,
                ["open"] = p.Open,
                // Clients the load shape plans to be connected at this second, beside the actual open.
                ["plannedClients"] = shape.PlannedAt(TimeSpan.FromSeconds(p.T)),
                ["connects"] = p.Connects,
                ["connectFailures"] = p.ConnectFailures,
                ["disconnects"] = p.Disconnects,
                ["forcedDrops"] = p.ForcedDrops,
                ["messagesSent"] = p.MessagesSent,
                ["messagesReceived"] = p.MessagesReceived,
                ["messagesLost"] = p.MessagesLost,
                ["rttP95"] = p.RttP95Ms,
                ["zombiesEvicted"] = p.ZombiesEvicted,
                ["tokenRefreshes"] = p.TokenRefreshes,
                ["tokenRefreshFailures"] = p.TokenRefreshFailures,
                ["trends"] = new JsonObject(p.Trends.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)new JsonObject
                {
                    ["count"] = t.Value.Count,
                    ["p50"] = t.Value.P50,
                    ["p95"] = t.Value.P95,
                    ["p99"] = t.Value.P99,
                }))),
            }.WithAttacks(Result.Malformed is null ? null : p.Attacks))]),
            ["loadShape"] = LoadShapeJson(shape),
            ["cases"] = MalformedSection.Cases(Result.Malformed),
            ["silos"] = new JsonArray([.. Result.Silos.Select(s => (JsonNode)new JsonObject
            {
                ["address"] = s.Address,
                ["clients"] = s.Clients,
                ["lost"] = s.Lost,
                ["lostAtSecond"] = s.LostAtSeconds,
                ["missedFinalCollection"] = s.MissedFinalCollection,
                ["stopUnconfirmed"] = s.StopUnconfirmed,
                ["adopted"] = s.Adopted,
                ["coordinator"] = s.Coordinator,
                // Its own slice of the source addresses (its clients and the ones it adopted draw from it).
                ["sourceRange"] = string.IsNullOrEmpty(s.SourceRange) ? null : s.SourceRange,
                ["sourceAddresses"] = s.SourceAddresses,
                ["lastCollectedAtSecond"] = s.LastCollectedAtSeconds,
                ["reactivatedAtSecond"] = s.ReactivatedAtSeconds,
                // A silo asked to stop: when its final numbers were in, its clients then, and how many started again elsewhere.
                ["drainedAtSecond"] = s.DrainedAtSeconds,
                ["drainedClients"] = s.DrainedClients,
                ["migratedClients"] = s.MigratedClients,
                ["migratedIn"] = s.MigratedIn,
            })]),
            ["holes"] = Holes(),
            ["failovers"] = Failovers(),
            ["notes"] = new JsonArray([.. Result.Notes.Select(n => (JsonNode)n)]),
            ["timelines"] = Timelines(Result.Timelines),
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
        RedactStrings(json);
        return json;
    }

    /// <summary>
    /// What lost silos took with them: per lost silo the window from its last collection to its death, its clients,
    /// and at most how much each counter may have grown in that window without being reported; in total, and when
    /// the target's own stats are known, the upgrades it saw that no client reported (which the totals bound).
    /// </summary>
    private JsonObject Holes()
    {
        var lost = Result.Silos.Where(s => s.Lost).ToList();
        var silos = new JsonArray([.. lost.Select(s => (JsonNode)new JsonObject
        {
            ["silo"] = s.Address,
            ["lastCollectedAtSecond"] = s.LastCollectedAtSeconds,
            ["lostAtSecond"] = s.LostAtSeconds,
            ["windowSeconds"] = s.LostAtSeconds is { } at ? Math.Round(at - (s.LastCollectedAtSeconds ?? 0), 2) : null,
            ["clients"] = s.LostClients,
            ["reactivatedAtSecond"] = s.ReactivatedAtSeconds,
            ["atMost"] = new JsonObject(s.HoleAtMost.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))),
        })]);
        var totals = lost.SelectMany(s => s.HoleAtMost).GroupBy(c => c.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)g.Sum(c => c.Value)));
        return new JsonObject
        {
            ["silos"] = silos,
            ["atMost"] = new JsonObject(totals),
            ["targetUpgradesNotReported"] = TargetUpgradesNotReported(),
        };
    }

    /// <summary>Each time the coordinator's silo was lost or handed the run over and a survivor took it over (empty when it never was).</summary>
    private JsonArray Failovers() => new([.. Result.Failovers.Select(f => (JsonNode)new JsonObject
    {
        ["lostSilo"] = f.LostSilo,
        ["newSilo"] = f.NewSilo,
        ["lastAnsweredAtSecond"] = f.LastAnsweredAtSecond,
        ["detectedAtSecond"] = f.DetectedAtSecond,
        ["resumedAtSecond"] = f.ResumedAtSecond,
        ["checkpointAtSecond"] = f.CheckpointAtSecond,
        ["silosRead"] = f.SilosRead,
        ["clientsLost"] = f.ClientsLost,
        ["clientsReactivated"] = f.ClientsReactivated,
        ["cause"] = f.Cause.Spelled(),
        ["handedOverAtSecond"] = f.HandedOverAtSecond,
        ["clientsMigrated"] = f.ClientsMigrated,
    })]);

    /// <summary>Upgrades the target counted during the run minus the connects the clients reported; null without its stats.</summary>
    public long? TargetUpgradesNotReported()
    {
        if (ReportJson.Number(TargetStatsBefore?["upgrades"]) is not { } before || ReportJson.Number(TargetStatsAfter?["upgrades"]) is not { } after) return null;
        return (long)after - (long)before - Overall.Counter(MetricNames.Connects);
    }

    /// <summary>
    /// The last line of defence: every string in the report (notes, reasons, timeline details, target stats)
    /// goes through <see cref="Secrets.RedactMessage"/>, which masks what can only be a secret (URL passwords,
    /// <c>?token=…</c>, Bearer credentials, JWTs) and leaves the tool's own prose alone. report.html and
    /// report.junit.xml are rendered from this JSON.
    /// </summary>
    private static void RedactStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var text)) o[key] = Secrets.RedactMessage(null, text);
                    else RedactStrings(o[key]);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var text)) a[i] = Secrets.RedactMessage(null, text);
                    else RedactStrings(a[i]);
                }
                break;
        }
    }

    private static JsonObject Codes(IReadOnlyDictionary<string, long> codes, bool connectErrors)
    {
        const string prefix = "connect-error:";
        var selected = codes.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal) == connectErrors)
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => KeyValuePair.Create(connectErrors ? c.Key[prefix.Length..] : c.Key, (JsonNode?)c.Value));
        return new JsonObject(selected);
    }

    /// <summary>Cause label → count, ordered by category (as DisconnectCauses lists them), then by label.</summary>
    private static JsonObject Causes(IReadOnlyDictionary<string, long> causes)
    {
        static int Rank(string label) => DisconnectCauses.Categories.ToList().IndexOf(DisconnectCauses.CategoryOf(label)) is var i and >= 0 ? i : int.MaxValue;
        return new JsonObject(causes.OrderBy(c => Rank(c.Key)).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));
    }

    /// <summary>The sampled clients' event lists: <c>atMs</c> from the run's start, event, state after it, detail.</summary>
    internal static JsonArray Timelines(IEnumerable<ClientTimeline> timelines) => new([.. timelines.OrderBy(t => t.Client).Select(t => (JsonNode)new JsonObject
    {
        ["client"] = t.Client,
        ["group"] = t.Group,
        ["behavior"] = t.Behavior,
        ["eventsDropped"] = t.Dropped,
        ["events"] = new JsonArray([.. t.Events.Select(e => (JsonNode)new JsonObject
        {
            ["atMs"] = e.AtMs,
            ["event"] = e.Kind,
            ["state"] = Spelling.Kebab(e.State),
            ["detail"] = e.Detail,
        })]),
    })]);

    public Task WriteAsync(string directory) => WriteJsonAsync(directory, ToJson());

    /// <summary>Writes report.json into <paramref name="directory"/> (also a report fetched from a silo's control API).</summary>
    public static async Task WriteJsonAsync(string directory, JsonObject report)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "report.json");
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true); // a reader never sees half a report
    }
}
