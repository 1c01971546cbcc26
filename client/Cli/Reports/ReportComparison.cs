using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SimCluster.Cli.Reports;

/// <summary>
/// Two reports side by side (`simcluster report compare BASELINE CURRENT`, `simcluster report DIR --baseline B`):
/// every metric either run has, every threshold, and the change, the way a server change is checked against
/// the last good run. Built from the two report.json files alone; the JSON shape is in docs/report.md.
/// </summary>
public static class ReportComparison
{
    public const string Schema = "simcluster.comparison/v1";
    public const string FileName = "comparison.json";

    /// <summary>Trend fields compared, in the order shown.</summary>
    private static readonly string[] TrendFields = ["count", "med", "p95", "p99", "max"];

    /// <summary>Counters where more is worse: their increase is a regression.</summary>
    private static readonly HashSet<string> BadCounters =
    [
        "connect_failures", "messages_lost", "messages_interrupted", "messages_duplicated", "messages_reordered", "messages_unresolved",
        "messages_late", "false_disconnects", "reconnect_give_ups", "zombies_undetected", "sessions_forgotten", "token_refresh_failures",
        "auth_rejections", "expired_closes_early", "token_replays_accepted", "token_fetch_failures", "tokens_outlived",
        "malformed_cases_failed", "malformed_server_down",
    ];

    public static JsonObject Compare(JsonObject baseline, JsonObject current, string? baselinePath = null, string? currentPath = null)
    {
        var rows = new JsonArray();
        var before = baseline["metrics"] as JsonObject ?? [];
        var after = current["metrics"] as JsonObject ?? [];
        foreach (var name in before.Select(m => m.Key).Concat(after.Select(m => m.Key)).Distinct())
        {
            var a = before[name] as JsonObject;
            var b = after[name] as JsonObject;
            var type = Str((a ?? b)?["type"]);
            var fields = type == "trend" ? TrendFields : ["value"];
            foreach (var field in fields)
            {
                var x = Value(a, field, type);
                var y = Value(b, field, type);
                if (x is null or 0 && y is null or 0) continue; // nothing happened in either run
                var better = type == "trend" ? (field == "count" ? null : "lower") : type == "ratio" ? "higher" : BadCounters.Contains(name) ? "lower" : null;
                var change = x is { } xv && y is { } yv ? Math.Round(yv - xv, 3) : (double?)null;
                rows.Add(new JsonObject
                {
                    ["metric"] = name,
                    ["field"] = field,
                    ["type"] = type,
                    ["unit"] = type == "trend" && field != "count" ? "ms" : null,
                    ["baseline"] = x,
                    ["current"] = y,
                    ["change"] = change,
                    ["changePercent"] = change is { } c && x is { } basis && basis != 0 ? Math.Round(100 * c / basis, 1) : null,
                    ["better"] = better,
                    ["regressed"] = better is null || change is not { } d || d == 0 ? false : better == "lower" ? d > 0 : d < 0,
                });
            }
        }

        var thresholds = new JsonArray();
        var ta = Thresholds(baseline);
        var tb = Thresholds(current);
        foreach (var key in ta.Keys.Concat(tb.Keys).Distinct())
        {
            var x = ta.GetValueOrDefault(key);
            var y = tb.GetValueOrDefault(key);
            thresholds.Add(new JsonObject
            {
                ["metric"] = key.Metric,
                ["expression"] = key.Expression,
                ["baseline"] = x is null ? null : new JsonObject { ["actual"] = x["actual"]?.DeepClone(), ["passed"] = x["passed"]?.DeepClone() },
                ["current"] = y is null ? null : new JsonObject { ["actual"] = y["actual"]?.DeepClone(), ["passed"] = y["passed"]?.DeepClone() },
                ["changed"] = Passed(x) != Passed(y),
            });
        }

        return new JsonObject
        {
            ["schema"] = Schema,
            ["baseline"] = Identity(baseline, baselinePath),
            ["current"] = Identity(current, currentPath),
            ["sameScenario"] = Str(baseline["scenario"]) == Str(current["scenario"]),
            ["metrics"] = rows,
            ["thresholds"] = thresholds,
            ["regressions"] = rows.Count(r => r?["regressed"]?.GetValue<bool>() == true) + thresholds.Count(t => Passed(t?["baseline"]) == true && Passed(t?["current"]) == false),
        };
    }

    private static bool? Passed(JsonNode? t) => t?["passed"] is JsonValue v ? v.GetValueKind() == JsonValueKind.True : null;

    private static Dictionary<(string Metric, string Expression), JsonObject> Thresholds(JsonObject report)
    {
        var result = new Dictionary<(string, string), JsonObject>();
        foreach (var t in (report["thresholds"] as JsonArray ?? []).OfType<JsonObject>())
            result.TryAdd((Str(t["metric"]) ?? "", Str(t["expression"]) ?? ""), t);
        return result;
    }

    private static double? Value(JsonObject? metric, string field, string? type) =>
        metric is null ? null : type == "trend" && field != "count" && ReportJson.Number(metric["count"]) is 0 ? null : ReportJson.Number(metric[field]);

    private static JsonObject Identity(JsonObject report, string? path) => new()
    {
        ["path"] = path,
        ["scenario"] = report["scenario"]?.DeepClone(),
        ["runId"] = report["runId"]?.DeepClone(),
        ["seed"] = report["seed"]?.DeepClone(),
        ["startedAt"] = report["startedAt"]?.DeepClone(),
        ["verdict"] = report["verdict"]?.DeepClone(),
        ["clients"] = report["clients"]?["planned"]?.DeepClone(),
        ["durationSeconds"] = report["durationSeconds"]?.DeepClone(),
    };

    /// <summary>The comparison as a terminal table: thresholds first, then every metric row that changed.</summary>
    public static void Print(JsonObject comparison, TextWriter output)
    {
        var a = comparison["baseline"]!;
        var b = comparison["current"]!;
        output.WriteLine($"baseline: {Str(a["runId"])} ({Str(a["scenario"])}, seed {Str(a["seed"])}, {Str(a["verdict"])})");
        output.WriteLine($"current:  {Str(b["runId"])} ({Str(b["scenario"])}, seed {Str(b["seed"])}, {Str(b["verdict"])})");
        if (comparison["sameScenario"]?.GetValue<bool>() == false) output.WriteLine("note: the two runs are of different scenarios");
        var thresholds = (comparison["thresholds"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (thresholds.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("thresholds");
            var width = thresholds.Max(t => $"{Str(t["metric"])} {Str(t["expression"])}".Length);
            foreach (var t in thresholds)
                output.WriteLine($"  {$"{Str(t["metric"])} {Str(t["expression"])}".PadRight(width)}  {Side(t["baseline"]),-18} {Side(t["current"]),-18}{(t["changed"]?.GetValue<bool>() == true ? "  CHANGED" : "")}");
        }
        var rows = (comparison["metrics"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        output.WriteLine();
        output.WriteLine($"{"metric",-36} {"baseline",12} {"current",12} {"change",12} {"%",8}");
        foreach (var r in rows)
        {
            var label = Str(r["field"]) == "value" ? Str(r["metric"]) : $"{Str(r["metric"])} {Str(r["field"])}";
            var percent = ReportJson.Number(r["changePercent"]) is { } p ? $"{p:+0.0;-0.0;0}%" : "";
            output.WriteLine($"{label,-36} {N(r["baseline"]),12} {N(r["current"]),12} {Signed(r["change"]),12} {percent,8}{(r["regressed"]?.GetValue<bool>() == true ? "  worse" : "")}");
        }
        output.WriteLine();
        output.WriteLine($"{Str(comparison["regressions"])} regression(s): a graded metric moved the wrong way or a threshold that passed now fails");
    }

    private static string Side(JsonNode? side) => side is null ? "(absent)"
        : $"{(side["passed"]?.GetValue<bool>() == true ? "pass" : "FAIL")} {N(side["actual"])}";

    private static string N(JsonNode? node) => ReportJson.Number(node) is { } d ? HtmlReport.Num(d) : "–";

    private static string Signed(JsonNode? node) => ReportJson.Number(node) is { } d ? (d > 0 ? "+" : "") + HtmlReport.Num(d) : "";

    private static string? Str(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => HtmlReport.Num(ReportJson.Number(v)!.Value),
        _ => node.ToJsonString(),
    };
}

/// <summary>report.html's "Baseline" section: the comparison's thresholds and changed metrics, with a chart of the largest changes.</summary>
internal static class ComparisonSection
{
    public static void Write(StringBuilder h, JsonObject comparison)
    {
        var a = comparison["baseline"] as JsonObject ?? [];
        var E = (Func<string?, string>)HtmlReport.E;
        h.Append("<section id=\"baseline\">\n<h2>Compared with the baseline</h2>\n<p class=\"summary\">Baseline: <code>").Append(E(a["runId"]?.ToString()))
            .Append("</code> (seed ").Append(E(a["seed"]?.ToString())).Append(", ").Append(E(a["verdict"]?.ToString())).Append("). ")
            .Append(E(comparison["regressions"]?.ToString())).Append(" regression(s).</p>\n");
        var thresholds = (comparison["thresholds"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (thresholds.Count > 0)
        {
            h.Append("<table class=\"compare\"><thead><tr><th>threshold</th><th class=\"num\">baseline</th><th class=\"num\">this run</th><th></th></tr></thead><tbody>\n");
            foreach (var t in thresholds)
            {
                h.Append("<tr").Append(t["changed"]?.GetValue<bool>() == true ? " class=\"changed\"" : "").Append("><td><code>").Append(E(t["metric"]?.ToString())).Append(' ')
                    .Append(E(t["expression"]?.ToString())).Append("</code></td>").Append(Side(t["baseline"])).Append(Side(t["current"]))
                    .Append("<td>").Append(t["changed"]?.GetValue<bool>() == true ? "changed" : "").Append("</td></tr>\n");
            }
            h.Append("</tbody></table>\n");
        }
        var rows = (comparison["metrics"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (rows.Count > 0)
        {
            h.Append("<figure class=\"chart\"><figcaption>Change from the baseline <small>percent, the 20 largest moves; red: the wrong way</small></figcaption>")
                .Append("<div class=\"chart-box\"><canvas id=\"chart-compare\" data-chart=\"compare\" role=\"img\" aria-label=\"Change from the baseline\"></canvas></div></figure>\n");
            h.Append("<div class=\"scroll\"><table class=\"compare\"><thead><tr><th>metric</th><th class=\"num\">baseline</th><th class=\"num\">this run</th><th class=\"num\">change</th><th class=\"num\">%</th></tr></thead><tbody>\n");
            foreach (var r in rows)
            {
                var label = r["field"]?.ToString() == "value" ? r["metric"]?.ToString() : $"{r["metric"]} {r["field"]}";
                var worse = r["regressed"]?.GetValue<bool>() == true;
                h.Append("<tr><td><code>").Append(E(label)).Append("</code>").Append(r["unit"] is null ? "" : " <small>ms</small>").Append("</td><td class=\"num\">")
                    .Append(E(Num(r["baseline"]))).Append("</td><td class=\"num\">").Append(E(Num(r["current"]))).Append("</td><td class=\"num").Append(worse ? " bad" : "").Append("\">")
                    .Append(E(ReportJson.Number(r["change"]) is { } c ? (c > 0 ? "+" : "") + HtmlReport.Num(c) : "")).Append("</td><td class=\"num").Append(worse ? " bad" : "").Append("\">")
                    .Append(E(ReportJson.Number(r["changePercent"]) is { } p ? $"{(p > 0 ? "+" : "")}{HtmlReport.Num(p)}%" : "")).Append("</td></tr>\n");
            }
            h.Append("</tbody></table></div>\n");
        }
        h.Append("</section>\n");
    }

    private static string Num(JsonNode? node) => ReportJson.Number(node) is { } d ? HtmlReport.Num(d) : "–";

    private static string Side(JsonNode? side) => side is null ? "<td class=\"num\">absent</td>"
        : $"<td class=\"num{(side["passed"]?.GetValue<bool>() == true ? "" : " bad")}\">{(side["passed"]?.GetValue<bool>() == true ? "✓" : "✗")} {HtmlReport.E(Num(side["actual"]))}</td>";
}
